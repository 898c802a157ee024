"""Designers deploy diagrams, decision tables and forms; versions and routing."""
from __future__ import annotations

import json

import pytest

from engine.workorders.routing import route
from tests.api.conftest import deploy, deploy_generic
from tests.conftest import FORMS, PROCESSES, generic_copy
from tests.orders import SUBMISSION

RELAY = (PROCESSES / "two_department_relay.bpmn").read_bytes()
# A copy of the relay that is no work order's, which the generic start may start.
[(GENERIC_RELAY_FILE, GENERIC_RELAY)] = generic_copy("two_department_relay").items()
ROUTING = (PROCESSES / "routing.dmn").read_bytes()
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       b"<definitions>&x;</definitions>")


def versions(client, key: str) -> list[int]:
    response = client.get(f"/api/v1/process-definitions/{key}/versions", "designer")
    return [v["version"] for v in response.json]


def relay_with_limit(dispatch_limit: str, relay: bytes = RELAY) -> bytes:
    old = b'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">scaled("PT15M"'
    changed = relay.replace(old, old.replace(b"PT15M", dispatch_limit.encode()), 1)
    assert changed != relay
    return changed


def test_a_changed_diagram_becomes_a_new_version_and_running_orders_stay(client, engine):
    """On the generic copy of the relay (the generic start takes no work-order flow)."""
    [key] = deploy_generic(client, "two_department_relay")
    running = client.start("WO-V1", flow=key)
    response = deploy(client, {GENERIC_RELAY_FILE: relay_with_limit("PT20M", GENERIC_RELAY)})
    assert response.status_code == 201, response.json
    assert response.json == {"dry_run": False, "deployed": [
        {"kind": "process", "key": key, "version": 2, "created": True}]}

    listed = client.get(f"/api/v1/process-definitions/{key}/versions", "designer").json
    assert [(v["version"], v["running_instances"]) for v in listed] == [(2, 0), (1, 1)]
    assert engine.reads.get_instance(running["id"]).definition_version == 1
    new = client.start("WO-V2", flow=key)
    assert new["version"] == 2
    assert new["open_tasks"][0]["stage_limit"] == "PT20M"
    pinned = client.post(f"/api/v1/process-definitions/{key}/start", "crm",
                         json={"business_key": "WO-V3", "variables": SUBMISSION, "version": 1})
    assert pinned.json["version"] == 1 and pinned.json["open_tasks"][0]["stage_limit"] == "PT15M"

    xml = client.get(f"/api/v1/process-definitions/{key}/versions/1/bpmn", "designer")
    assert xml.headers["Content-Type"].startswith("application/xml")
    assert xml.get_data() == GENERIC_RELAY


def test_the_same_content_again_makes_no_new_version(client):
    response = deploy(client, {"two_department_relay.bpmn": RELAY})
    assert response.json["deployed"][0] == {"kind": "process", "key": "two_department_relay",
                                            "version": 1, "created": False}


def test_dry_run_validates_and_stores_nothing(client):
    response = deploy(client, {"two_department_relay.bpmn": relay_with_limit("PT25M")},
                      dry_run=True)
    assert response.status_code == 200
    assert response.json["dry_run"] is True
    assert response.json["deployed"][0]["version"] == 2
    assert versions(client, "two_department_relay") == [1]


def test_every_problem_is_reported_and_nothing_is_deployed(client):
    scripted = relay_with_limit("PT30M").replace(
        b"</bpmn:process>",
        b'<bpmn:scriptTask id="sneaky" name="Sneaky"><bpmn:script>x = 1</bpmn:script>'
        b"</bpmn:scriptTask></bpmn:process>")
    bad_table = ROUTING.replace(b"<text>business</text>", b"<text>__import__('os')</text>")
    response = deploy(client, {
        "two_department_relay.bpmn": scripted,
        "routing.dmn": bad_table,
        "evil.bpmn": XXE,
        "notes.txt": b"hello",
    })
    assert response.status_code == 422
    problems = response.json["errors"]
    by_file = {(p["file"], p["element_id"]) for p in problems}
    assert ("two_department_relay.bpmn", "sneaky") in by_file
    assert ("routing.dmn", "input_business_expression") in by_file
    assert ("evil.bpmn", None) in by_file
    assert ("notes.txt", None) in by_file
    assert all(p["message"] for p in problems)
    assert next(p for p in problems if p["file"] == "evil.bpmn")["line"] == 2
    assert versions(client, "two_department_relay") == [1]


def test_a_changed_form_redeploys_the_flows_that_use_it(client):
    form = json.loads((FORMS / "handle.json").read_text())
    form["properties"]["cause"]["maxLength"] = 300
    response = deploy(client, {"handle.json": json.dumps(form).encode()})
    assert response.status_code == 201, response.json
    assert {(d["key"], d["version"]) for d in response.json["deployed"]} == {
        ("single_dispatch", 2), ("one_department", 2), ("two_department_relay", 2)}
    detail = client.get("/api/v1/process-definitions/one_department", "designer").json
    assert detail["version"] == 2


def test_only_designers_deploy(client):
    for who in ("front_desk", "crm", "manager"):
        assert deploy(client, {"routing.dmn": ROUTING}, as_=who).status_code == 403
    assert client.post("/api/v1/deployments", "designer", data={},
                       content_type="multipart/form-data").status_code == 400


def test_routing_follows_the_newest_table(client, engine):
    assert route(engine.catalog, "billing/overcharge/plan")["processing_department"] == "billing"
    moved = ROUTING.replace(
        b"<text>&quot;billing&quot;</text>\n        </outputEntry>",
        b"<text>&quot;provincial_support_centre&quot;</text>\n        </outputEntry>")
    assert moved != ROUTING
    response = deploy(client, {"routing.dmn": moved})
    assert response.json["deployed"] == [
        {"kind": "decision", "key": "routing", "version": 2, "created": True}]
    assert route(engine.catalog, "billing/overcharge/plan")["processing_department"] == \
        "provincial_support_centre"

    evaluated = client.post("/api/v1/decisions/routing/evaluate?version=1", "designer",
                            json={"inputs": {"business": "billing", "phenomenon": "x",
                                             "cause": "y"}})
    assert evaluated.json["outputs"]["processing_department"] == "billing"
    listed = client.get("/api/v1/decisions", "designer").json
    assert [(d["key"], d["version"], d["versions"]) for d in listed] == [
        ("escalation_ladder", 1, 1), ("return_visit", 1, 1), ("routing", 2, 2),
        ("service_levels", 1, 1), ("upgrade_service", 1, 1)]


@pytest.mark.parametrize("category", ["astrology/horoscope/late", "billing", "a//b"])
def test_a_category_without_a_route_is_a_clear_error(client, engine, category):
    from engine.workorders.errors import NoRoute

    with pytest.raises(NoRoute, match="cannot be routed"):
        route(engine.catalog, category)


def test_routing_examples_from_the_source(engine):
    assert route(engine.catalog, "network/no_signal/td")["flow"] == "two_department_relay"
    assert route(engine.catalog, "network/no_signal/base_station")["flow"] == "one_department"
    assert route(engine.catalog, "ring_back_tone/copy_failed/unknown")["flow"] == "single_dispatch"
    assert route(engine.catalog, "value_added/weather_forecast/not_sent")["processing_department"] \
        == "provincial_support_centre"
    assert route(engine.catalog, "data_services/mms_not_received/gateway")["relaying_department"] \
        == "service_support_group"


def test_evaluating_without_a_matching_rule_is_422(client):
    response = client.post("/api/v1/decisions/routing/evaluate", "designer",
                           json={"inputs": {"business": "astrology", "phenomenon": "x",
                                            "cause": "y"}})
    assert response.status_code == 422 and "no rule" in response.json["detail"]


def test_a_diagram_saved_by_the_bpmn_io_modeler_deploys_unchanged(client, engine):
    """tests/fixtures/one_department_from_bpmn_io.bpmn is one_department.bpmn opened in
    the bpmn-js Modeler, its feedback stage renamed, and saved by the modeler."""
    from tests.conftest import ROOT

    exported = (ROOT / "tests/fixtures/one_department_from_bpmn_io.bpmn").read_bytes()
    assert b'exporter="bpmn-js' in exported
    response = deploy(client, {"one_department.bpmn": exported})
    assert response.status_code == 201, response.json
    assert response.json["deployed"][0]["version"] == 2

    order = client.submit()  # routed to one_department
    instance = engine.reads.get_instance(order["instance_id"])
    assert (instance.definition_key, instance.definition_version) == ("one_department", 2)
    from tests.orders import OrderDriver
    driver = OrderDriver(engine, engine.clock)
    task = driver.complete_until(instance.id, "feedback")
    assert task.stage_name == "Feedback to customer"


def test_migrating_over_http(client, engine):
    from engine.definitions.bpmn import ProcessSource
    from tests.diagrams import FORM, staged_process

    def deploy_stages(stages):
        engine.deployer.deploy([ProcessSource("staged", "staged.bpmn", staged_process(stages),
                                     {"check.json": FORM})])

    deploy_stages(["a", "b"])
    started = client.post("/api/v1/process-definitions/staged/start", "crm",
                          json={"business_key": "M-1"}).json
    deploy_stages(["a", "c", "b"])
    url = "/api/v1/process-definitions/staged/migrations"
    dry = client.post(url, "designer", json={"from_version": 1, "dry_run": True})
    assert dry.status_code == 200
    assert dry.json["instances"][0]["mapped_tasks"] == ["a"]
    assert dry.json["instances"][0]["migrated"] is False
    done = client.post(url, "designer", json={"instance_ids": [started["id"]]})
    assert done.json["instances"][0]["migrated"] is True
    assert client.get(f"/api/v1/process-instances/{started['id']}", "crm").json["version"] == 2

    both = client.post(url, "designer", json={"instance_ids": ["x"], "from_version": 1})
    assert both.status_code == 422
    assert client.post(url, "crm", json={"from_version": 1}).status_code == 403


def test_redeploying_the_routing_table_changes_where_new_orders_go(client, engine):
    billing = {"category": "billing/disputed_charge/data_charge",
               "key_fields": {"bill_month": "2026-02", "disputed_amount": 30}}
    first = client.submit(**billing)
    assert first["flow"] == "one_department"
    assert engine.reads.get_instance(first["instance_id"]).variables["processing_department"] == \
        "billing"

    relayed = ROUTING.replace(
        b"<text>&quot;one_department&quot;</text>\n        </outputEntry>\n"
        b"        <outputEntry id=\"rule9_processing\">",
        b"<text>&quot;two_department_relay&quot;</text>\n        </outputEntry>\n"
        b"        <outputEntry id=\"rule9_processing\">")
    assert relayed != ROUTING
    assert deploy(client, {"routing.dmn": relayed}).status_code == 201

    second = client.submit(**billing)
    assert second["flow"] == "two_department_relay"
    assert client.order(first["number"])["flow"] == "one_department"  # running ones stay


@pytest.mark.parametrize(("files", "message"), [
    ({"latin.bpmn": RELAY.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')
      .replace(b"Dispatch", "Dispatch\u00e9".encode("latin-1"))}, "not UTF-8"),
    ({"deep.json": b"[" * 5000 + b"]" * 5000}, "nested too deeply"),
    ({"nan.json": b'{"type": "object", "maximum": NaN}'}, "NaN is not allowed"),
    ({"x" * 301 + ".bpmn": RELAY}, "file name over 300 characters"),
    ({"long.bpmn": RELAY.replace(b'id="two_department_relay"',
                                 b'id="' + b"k" * 201 + b'"')}, "longer than 200"),
    ({"orphan.json": b'{"type": "object"}'}, "no diagram (uploaded or deployed) names"),
])
def test_awkward_uploads_are_422_not_500(client, files, message):
    response = deploy(client, files)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert any(message in problem["message"] for problem in response.json["errors"]), \
        response.json["errors"]


def test_two_forms_of_one_diagram_in_one_upload(client):
    changed = {}
    for name in ("dispatch.json", "feedback.json"):
        form = json.loads((FORMS / name).read_text())
        form["description"] += " (revised)"
        changed[name] = json.dumps(form).encode()
    response = deploy(client, changed)
    assert response.status_code == 201, response.json
    assert sorted((d["key"], d["version"]) for d in response.json["deployed"]) == [
        ("one_department", 2), ("single_dispatch", 2), ("two_department_relay", 2)]


def test_a_restart_does_not_undo_a_designers_upload(client, engine):
    form = json.loads((FORMS / "handle.json").read_text())
    form["properties"]["cause"]["maxLength"] = 300
    assert deploy(client, {"handle.json": json.dumps(form).encode()}).status_code == 201
    # Start-up deploys processes/ and forms/ from disk: the older copies stay old.
    results = engine.deployer.deploy_directory(PROCESSES, FORMS)
    assert not any(r.created for r in results)
    detail = client.get("/api/v1/process-definitions/one_department", "designer").json
    assert detail["version"] == 2
    # A diagram deployed later without its forms gets the newest deployed copy.
    assert deploy(client, {"one_department.bpmn": RELAY.replace(
        b'id="two_department_relay"', b'id="relay_copy"')}).status_code == 201
    copy = engine.catalog.definition("relay_copy")
    assert copy.forms["handle.json"]["properties"]["cause"]["maxLength"] == 300


# Issue 13: nothing a designer writes runs unbounded; what orders would fail on is refused.

def _problems(response) -> list[dict]:
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    return response.json["errors"]


def test_a_form_fetching_from_elsewhere_is_refused_with_file_and_pointer(client):
    form = json.loads((FORMS / "handle.json").read_text())
    form["properties"]["cause"] = {"$ref": "http://127.0.0.1:9/cause.json"}
    problems = _problems(deploy(client, {"handle.json": json.dumps(form).encode()}))
    assert [(p["file"], p["element_id"]) for p in problems] == [
        ("handle.json", "/properties/cause/$ref")]
    assert "http://127.0.0.1:9/cause.json" in problems[0]["message"]
    assert versions(client, "one_department") == [1]


def test_a_form_pattern_that_cannot_be_bounded_is_refused(client):
    form = json.loads((FORMS / "handle.json").read_text())
    form["properties"]["cause"]["pattern"] = "^(a+)\\1$"
    problems = _problems(deploy(client, {"handle.json": json.dumps(form).encode()}))
    assert [(p["file"], p["element_id"]) for p in problems] == [
        ("handle.json", "/properties/cause/pattern")]
    assert "backreferences" in problems[0]["message"]


def test_a_nested_quantifier_validates_a_completion_at_once(client):
    """`^(a+)+$` took 7 s on 28 "a"s and a "!" under the write lock; now it is matched in
    linear time and the completion is refused field by field."""
    form = json.loads((FORMS / "dispatch.json").read_text())
    form["properties"]["note"] = {"type": "string", "pattern": "^(a+)+$"}
    assert deploy(client, {"dispatch.json": json.dumps(form).encode()}).status_code == 201
    number = client.submit()["number"]
    [task] = client.inbox("front_desk", business_key=number)["items"]
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk", json={
        "data": {"processing_department": "network_operations", "note": "a" * 40 + "!"}})
    assert response.status_code == 422, response.json
    assert [e["field"] for e in response.json["errors"]] == ["data.note"]


@pytest.mark.parametrize(("limit", "message"), [
    ("P999999999D", "longer than P365D"),
    ("-PT1H", "not longer than zero"),
    ("PT10S", "shorter than PT1M"),
])
def test_a_stage_limit_out_of_bounds_is_refused_with_its_element(client, limit, message):
    """"P999999999D" deployed, then every start answered 500 (OverflowError)."""
    problems = _problems(deploy(client, {"two_department_relay.bpmn": relay_with_limit(limit)}))
    [problem] = problems
    assert problem["file"] == "two_department_relay.bpmn" and problem["line"]
    assert problem["element_id"] and message in problem["message"]
    assert versions(client, "two_department_relay") == [1]


def test_a_diagram_of_a_thousand_user_tasks_is_a_clear_422(client):
    """It failed with a bare RecursionError; 6,500 took 5 minutes for a dry run."""
    from tests.test_definition_limits import chain_of_user_tasks

    response = deploy(client, {"chain.bpmn": chain_of_user_tasks(1000)}, dry_run=True)
    [problem] = _problems(response)
    assert problem["file"] == "chain.bpmn" and problem["element_id"] == "chain"
    assert "too large to deploy: 1,002 flow nodes" in problem["message"]
    assert "at most 250" in problem["message"]


def test_a_routing_table_naming_a_flow_that_does_not_exist_is_refused(client, engine):
    nowhere = ROUTING.replace(b"<text>&quot;single_dispatch&quot;</text>",
                              b"<text>&quot;single_dispatc&quot;</text>")
    assert nowhere != ROUTING
    problems = _problems(deploy(client, {"routing.dmn": nowhere}))
    assert {p["element_id"] for p in problems} >= {"rule1"}
    rule1 = next(p for p in problems if p["element_id"] == "rule1")
    assert rule1["file"] == "routing.dmn" and rule1["line"]
    assert "'single_dispatc', which is neither a deployed process" in rule1["message"]
    assert route(engine.catalog, "ring_back_tone/copy_failed/unknown")["flow"] == \
        "single_dispatch"


def test_a_routing_table_leaving_categories_unrouted_is_refused(client):
    """A table covering 1 of 41 categories deployed, and intake failed for the rest."""
    from lxml import etree

    root = etree.fromstring(ROUTING)
    rules = [node for node in root.iter() if etree.QName(node).localname == "rule"]
    for rule in rules[1:]:
        rule.getparent().remove(rule)
    partial = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    [problem] = _problems(deploy(client, {"routing.dmn": partial}))
    assert (problem["file"], problem["element_id"]) == ("routing.dmn", "routing")
    assert problem["line"] == 3
    categories = _categories()
    unrouted = [c for c in categories if not c.startswith("ring_back_tone/copy_failed/")]
    assert len(categories) == 41 and len(unrouted) == 38
    assert problem["message"] == (f"38 of 41 categories match no rule: "
                                  f"{', '.join(unrouted[:10])} and 28 more")


def _categories() -> list[str]:
    from engine.reference.categories import Categories
    from tests.conftest import ROOT

    return [c.path for c in Categories.load(ROOT / "data" / "categories.json")]


def test_a_service_level_factor_of_1e300_is_refused(client):
    levels = (PROCESSES / "service_levels.dmn").read_bytes()
    [problem] = _problems(deploy(client, {"service_levels.dmn": levels.replace(
        b"<text>12</text>", b"<text>1e300</text>")}))
    assert problem["file"] == "service_levels.dmn"
    assert "rule 4, output 'limit_factor'" in problem["message"]
    assert "at most 100" in problem["message"]
