"""A category tree of any depth (issue 14): a generated 7-level tree of 2,000 leaves
loads in well under a second, every leaf must route (a routing table matching path
prefixes), orders are taken, routed by the deepest matching prefix, found by a prefix,
counted by hotspot rules on a deep prefix and reported per category."""
from __future__ import annotations

import time

import pytest

from engine.reference.categories import Categories, CategoriesInvalid
from tests.api.custom_app import CustomApp, change_json, copied_folders

# Children per level: 5 x 2 x 2 x 5 x 2 x 5 x 2 = 2,000 leaves, 7 levels deep.
BRANCHING = (5, 2, 2, 5, 2, 5, 2)
LEVEL_LISTS = ("businesses", "phenomena", "causes")
DEEP = "b1/l2_0/l3_1/l4_2"  # a subtree routed to billing by its own rule
HOT = "b2/l2_1/l3_0/l4_3/l5_1"  # a hotspot rule on a level-5 prefix


def generated_tree() -> dict:
    def nodes(level: int, path: tuple[str, ...]) -> list[dict]:
        found = []
        for index in range(BRANCHING[level - 1]):
            node_id = f"b{index}" if level == 1 else f"l{level}_{index}"
            node: dict = {"id": node_id, "name": f"Level {level} node {index} 第{level}级"}
            if level < len(BRANCHING):
                key = LEVEL_LISTS[level] if level < len(LEVEL_LISTS) else "children"
                node[key] = nodes(level + 1, (*path, node_id))
            found.append(node)
        return found

    return {"fields": {}, "businesses": nodes(1, ())}


def leaf_under(prefix: str) -> str:
    path = prefix.split("/")
    while len(path) < len(BRANCHING):
        path.append(f"l{len(path) + 1}_0")
    return "/".join(path)


def routing_table() -> str:
    """A rule for the DEEP subtree first, then one per business; one input: the path."""
    rules = [(DEEP, "billing")] + [(f"b{i}", "network_operations")
                                    for i in range(BRANCHING[0])]
    cells = "".join(f'''
      <rule id="r{n}">
        <inputEntry id="r{n}_in"><text>under(?, "{prefix}")</text></inputEntry>
        <outputEntry id="r{n}_flow"><text>"one_department"</text></outputEntry>
        <outputEntry id="r{n}_dept"><text>"{department}"</text></outputEntry>
      </rule>''' for n, (prefix, department) in enumerate(rules))
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="routing_definitions"
  name="Deep routing" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="routing" name="Route by category path">
    <decisionTable id="routing_table" hitPolicy="FIRST">
      <input id="input_category" label="Category">
        <inputExpression id="input_category_expression" typeRef="string">
          <text>category</text>
        </inputExpression>
      </input>
      <output id="output_flow" name="flow" typeRef="string" />
      <output id="output_processing" name="processing_department" typeRef="string" />{cells}
    </decisionTable>
  </decision>
</definitions>
'''


def test_a_seven_level_tree_of_two_thousand_leaves_loads_in_well_under_a_second():
    document = generated_tree()
    started = time.perf_counter()
    categories = Categories.from_document(document)
    took = time.perf_counter() - started
    assert len(categories) == 2000
    assert {category.depth for category in categories} == {7}
    assert took < 0.5, f"loading took {took:.3f} s"
    leaf = categories.get(leaf_under(DEEP))
    assert leaf is not None and leaf.names[3] == "Level 4 node 2 第4级"
    assert categories.get(DEEP) is None  # an inner node is no category an order can have


@pytest.mark.parametrize(("document", "message"), [
    ({"businesses": [{"id": "a", "phenomena": [{"id": "b", "causes": [
        {"id": "c", "children": []}]}]}]}, "a/b/c needs a non-empty list of children"),
    ({"businesses": [{"id": "a", "phenomena": [{"id": "b", "causes": [{"id": "c"}]}],
                      "children": []}]}, "a: list its children under 'phenomena' or"),
    ({"businesses": [{"id": "a" * 60, "phenomena": [{"id": "b" * 60, "causes": [
        {"id": "c" * 60, "children": [{"id": "d" * 60}]}]}]}]}, "at most 200 characters"),
])
def test_a_deep_tree_that_is_malformed_says_where(document, message):
    with pytest.raises(CategoriesInvalid, match=message):
        Categories.from_document(document)


@pytest.fixture
def deep(tmp_path, database_url, api_clock):
    data, processes = copied_folders(tmp_path)
    change_json(data / "categories.json", lambda d: d.update(generated_tree()))

    def settings(document):
        document["hotspots"]["rules"] = [
            {"name": "deep_burst", "category": HOT, "threshold": 2, "window": "PT1H"},
            {"name": "billing_subtree", "category": DEEP, "threshold": 2, "window": "PT1H"}]
    change_json(data / "settings.json", settings)
    (processes / "routing.dmn").write_text(routing_table(), encoding="utf-8")
    started = time.perf_counter()
    built = CustomApp(database_url, api_clock, data, processes)
    built.started_in = time.perf_counter() - started
    yield built
    built.close()


def test_a_seven_level_tree_routes_by_prefix_takes_orders_and_reports(deep, api_clock):
    client = deep.client
    tree = client.get("/api/v1/categories", "manager").json
    assert tree["leaves"] == 2000
    assert tree["businesses"][1]["phenomena"][0]["causes"][1]["children"][2]["id"] == "l4_2"

    routed = client.post("/api/v1/decisions/routing/evaluate", "designer",
                         json={"inputs": {"category": leaf_under(DEEP)}}).json["outputs"]
    assert routed["processing_department"] == "billing"
    deep_order = client.submit(category=leaf_under(DEEP), key_fields={})
    other = client.submit(category=leaf_under("b1/l2_0/l3_1/l4_3"), key_fields={})
    assert deep_order["category_names"][6] == "Level 7 node 0 第7级"
    assert deep_order["responsible_departments"] == ["front_desk"]
    hot = [client.submit(category=leaf_under(HOT), key_fields={}) for _ in range(2)]
    again = client.submit(category=leaf_under(DEEP).replace("l7_0", "l7_1"), key_fields={})

    found = client.get("/api/v1/work-orders", "manager",
                       query_string={"category": "b1/l2_0/l3_1"}).json
    assert sorted(o["number"] for o in found["items"]) == sorted(
        [deep_order["number"], other["number"], again["number"]])

    alerts = client.get("/api/v1/reports/hotspots", "manager").json["alerts"]
    # Each alert tells the department the order was routed to.
    assert sorted((a["rule"], a["key"], a["count"], a["business_key"], a["department"])
                  for a in alerts) == [
        ("billing_subtree", DEEP, 2, again["number"], "billing"),
        ("deep_burst", HOT, 2, hot[1]["number"], "network_operations")]

    by_category = client.get("/api/v1/reports/timeliness", "manager",
                             query_string={"group_by": "category"}).json
    keys = {group["group"]: group for group in by_category["groups"]}
    assert set(keys) == {leaf_under(DEEP), leaf_under(DEEP).replace("l7_0", "l7_1"),
                         leaf_under("b1/l2_0/l3_1/l4_3"), leaf_under(HOT)}
    assert keys[leaf_under(HOT)]["orders"] == 2
    assert keys[leaf_under(DEEP)]["name"].count(" > ") == 6


def test_a_table_leaving_a_deep_leaf_unrouted_is_refused(deep):
    table = routing_table().replace('under(?, "b4")', 'under(?, "b4/l2_0")')
    response = deep.client.post(
        "/api/v1/deployments", "designer",
        data={"files": [(__import__("io").BytesIO(table.encode()), "routing.dmn")]},
        content_type="multipart/form-data")
    assert response.status_code == 422, response.json
    detail = str(response.json)
    assert "200 of 2000 categories match no rule" in detail
    assert "b4/l2_1/l3_0/l4_0/l5_0/l6_0/l7_0" in detail
