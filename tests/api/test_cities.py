"""Routing and assessment by city (issue 14): the customer's home city from intake or the
number-prefix table (data/cities.json); a routing table reading the city, channel and
the upgraded flag as well as the category; reports and the KPI grouped by city."""
from __future__ import annotations

import pytest

from api import process_engine
from engine.reference.cities import Cities, CitiesInvalid
from tests.api.conftest import work
from tests.api.custom_app import CustomApp, change_json, copied_folders

NINGBO_PHONE = "13905741234"  # prefix 1390574: Ningbo
INPUTS = ("category", "city", "channel", "upgraded")
RULES = [  # (category, city, channel, upgraded) cells -> processing department
    ('under(?, "network")', '"ningbo"', "", "", "ningbo_network"),
    ("", "", "", "True", "provincial_support_centre"),
    ("", "", '"web"', "", "billing"),
    ("", "", "", "", "network_operations"),
]


def routing_table() -> str:
    inputs = "".join(f'''
      <input id="in_{name}"><inputExpression id="in_{name}_e" typeRef="string">
        <text>{name}</text></inputExpression></input>''' for name in INPUTS)
    rules = "".join(f'''
      <rule id="r{n}">{"".join(f'<inputEntry id="r{n}_{name}"><text>{cell}</text></inputEntry>'
                                 for name, cell in zip(INPUTS, rule[:4], strict=True))}
        <outputEntry id="r{n}_flow"><text>"one_department"</text></outputEntry>
        <outputEntry id="r{n}_dept"><text>"{rule[4]}"</text></outputEntry>
      </rule>''' for n, rule in enumerate(RULES))
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="routing_definitions"
  name="Routing by city" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="routing" name="Route by category, city, channel and upgrade">
    <decisionTable id="routing_table" hitPolicy="FIRST">{inputs}
      <output id="out_flow" name="flow" typeRef="string" />
      <output id="out_processing" name="processing_department" typeRef="string" />{rules}
    </decisionTable>
  </decision>
</definitions>
'''


@pytest.fixture
def by_city(tmp_path, database_url, api_clock):
    data, processes = copied_folders(tmp_path)
    change_json(data / "departments.json", lambda d: d["departments"].append(
        {"id": "ningbo_network", "name": "Ningbo network (宁波网络)", "roles": ["processing"],
         "supervisor": "operations_supervisors", "city": "ningbo"}))
    (processes / "routing.dmn").write_text(routing_table(), encoding="utf-8")
    built = CustomApp(database_url, api_clock, data, processes)
    yield built
    built.close()


def routed_to(app, order: dict) -> str:
    instance = process_engine(app).reads.get_instance(order["instance_id"])
    return instance.variables["processing_department"]


def test_the_routing_table_reads_the_home_city_channel_and_upgrade(by_city):
    client, app = by_city.client, by_city.app
    inferred = client.submit(customer_phone=NINGBO_PHONE)
    assert inferred["city"] == "ningbo" and routed_to(app, inferred) == "ningbo_network"
    named = client.submit(customer_phone=NINGBO_PHONE, city="hangzhou")
    assert named["city"] == "hangzhou" and routed_to(app, named) == "network_operations"
    unknown_number = client.submit()
    assert unknown_number["city"] is None
    assert routed_to(app, unknown_number) == "network_operations"
    assert routed_to(app, client.submit(channel="regulator")) == "provincial_support_centre"
    assert routed_to(app, client.submit(channel="web")) == "billing"
    bad = client.post("/api/v1/work-orders", "crm", json={
        "customer_phone": NINGBO_PHONE, "category": "network/no_signal/base_station",
        "content": "x", "channel": "hotline", "acceptance_department": "front_desk",
        "city": "atlantis", "key_fields": {"location": "Xihu", "occurred_at": "2026-03-01"}})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json["errors"]] == ["body.city"]

    repeats = client.get("/api/v1/reports/repeats", "manager",
                         query_string={"group_by": "city"}).json
    assert {g["group"]: g["orders"] for g in repeats["groups"]} == {
        "(unknown)": 3, "hangzhou": 1, "ningbo": 1}
    work(client, inferred["number"], "front_desk", {"processing_department": "ningbo_network"})
    timeliness = client.get("/api/v1/reports/timeliness", "manager",
                            query_string={"group_by": "city"}).json
    by_city = {g["group"]: g for g in timeliness["groups"]}
    assert (by_city["ningbo"]["orders"], by_city["ningbo"]["stages_completed"]) == (1, 1)
    assert "(unknown)" in by_city


def test_the_kpi_assesses_cities_as_well_as_departments(by_city):
    client = by_city.client
    order = client.submit(customer_phone=NINGBO_PHONE, channel="consumer_association")
    judged = client.post(f"/api/v1/work-orders/{order['number']}/liability", "manager",
                         json={"liable": True, "departments": ["ningbo_network"],
                               "cause": "network_quality"})
    assert judged.status_code == 200, judged.json
    kpi = client.get("/api/v1/reports/kpi", "manager",
                     query_string={"year": 2026, "month": 3}).json
    cities = {c["city"]: c for c in kpi["cities"]}
    assert set(cities) == {"hangzhou", "ningbo"}
    assert cities["ningbo"]["departments"] == ["ningbo_network"]
    assert cities["ningbo"]["month"]["orders"] == [order["number"]]
    assert cities["ningbo"]["month"]["formula"] == "0.5 x 1 = 0.5"
    assert cities["hangzhou"]["month"]["liable_complaints"] == 0
    [department] = [d for d in kpi["departments"] if d["department"] == "ningbo_network"]
    assert department["city"] == "ningbo" and department["month"]["liable_complaints"] == 1
    csv = client.get("/api/v1/reports/kpi", "manager",
                     query_string={"year": 2026, "month": 3, "format": "csv"}).text
    assert "city,ningbo,ningbo" in csv


def test_the_prefix_table_takes_the_longest_prefix_and_says_what_is_wrong():
    cities = Cities.from_document({"cities": [
        {"id": "zhejiang", "prefixes": ["139"]}, {"id": "ningbo", "prefixes": ["1390574"]}]})
    assert cities.of_number("13905741234") == "ningbo"
    assert cities.of_number("13912345678") == "zhejiang"
    assert cities.of_number("15012345678") is None
    with pytest.raises(CitiesInvalid, match=r"cities\[1\]: prefix 139 is also zhejiang's"):
        Cities.from_document({"cities": [{"id": "zhejiang", "prefixes": ["139"]},
                                         {"id": "x", "prefixes": ["139"]}]})
    with pytest.raises(CitiesInvalid, match="not 3-11 digits"):
        Cities.from_document({"cities": [{"id": "a", "prefixes": ["abc"]}]})
