"""Delivering messages to an instance, directly or correlated by business key."""
from __future__ import annotations

import json

import pytest

from engine.definitions.bpmn import ProcessSource
from tests.diagrams import FORM, message_process


@pytest.fixture
def waiting(client, engine):
    engine.deployer.deploy([ProcessSource("waits", "waits.bpmn", message_process(),
                                 {"check.json": FORM})])

    def start(business_key: str, as_: str = "crm") -> str:
        response = client.post("/api/v1/process-definitions/waits/start", as_,
                               json={"business_key": business_key})
        assert response.status_code == 201, response.json
        assert response.json["open_tasks"] == []
        return response.json["id"]

    return start


def test_message_to_an_instance(client, waiting):
    instance_id = waiting("M-1")
    url = f"/api/v1/process-instances/{instance_id}/messages/customer_info"
    response = client.post(url, "crm", json={"payload": {"new_address": "Block 5"}})
    assert response.status_code == 200
    assert response.json == {"instance_id": instance_id, "name": "customer_info"}

    detail = client.get(f"/api/v1/process-instances/{instance_id}", "crm").json
    assert detail["variables"]["info"] == {"new_address": "Block 5"}
    assert [t["stage"] for t in detail["open_tasks"]] == ["review"]
    events = client.get(f"/api/v1/process-instances/{instance_id}/timeline", "crm").json
    received = [e for e in events["events"] if e["type"] == "message_received"]
    assert received[0]["actor"] == "crm" and received[0]["detail"]["name"] == "customer_info"

    again = client.post(url, "crm", json={"payload": {}})
    assert again.status_code == 409 and "not waiting" in again.json["detail"]


def test_message_correlated_by_business_key(client, waiting):
    instance_id = waiting("M-2")
    response = client.post("/api/v1/messages", "crm", json={
        "name": "customer_info", "business_key": "M-2", "payload": {"ok": True}})
    assert response.status_code == 200 and response.json["instance_id"] == instance_id

    missing = client.post("/api/v1/messages", "crm", json={
        "name": "customer_info", "business_key": "M-404"})
    assert missing.status_code == 404
    # Another integrator's order is not correlated for you.
    waiting("M-3", as_="hotline")
    foreign = client.post("/api/v1/messages", "crm", json={
        "name": "customer_info", "business_key": "M-3"})
    assert foreign.status_code == 404


def test_ambiguous_correlation_asks_for_the_process_key(client, engine, waiting):
    engine.deployer.deploy([ProcessSource("waits_too", "waits_too.bpmn",
                                          message_process("waits_too"), {"check.json": FORM})])
    waiting("M-4")
    client.post("/api/v1/process-definitions/waits_too/start", "crm",
                json={"business_key": "M-4"})
    body = {"name": "customer_info", "business_key": "M-4"}
    ambiguous = client.post("/api/v1/messages", "crm", json=body)
    assert ambiguous.status_code == 409 and "process key" in ambiguous.json["detail"]
    chosen = client.post("/api/v1/messages", "crm", json={**body, "process_key": "waits_too"})
    assert chosen.status_code == 200


def test_the_generic_message_api_does_not_reach_work_orders(client, api_clock):
    """Urges go through POST /work-orders/{n}/urge, where the urge rules apply (who, how
    often, how many): the generic message endpoints refuse work orders, and nothing
    changes."""
    from tests.api.conftest import TO_NETWORK, work

    order = client.submit()
    work(client, order["number"], "front_desk", TO_NETWORK, stage="dispatch")
    detail = client.order(order["number"])
    instance_id = detail["instance_id"]
    direct = client.post(f"/api/v1/process-instances/{instance_id}/messages/urge", "crm",
                         json={"payload": {"note": "again"}})
    assert direct.status_code == 403 and "work-order operations" in direct.json["detail"]
    correlated = client.post("/api/v1/messages", "crm", json={
        "name": "urge", "business_key": order["number"], "payload": {}})
    assert correlated.status_code == 403 and "work-order number" in correlated.json["detail"]
    after = client.order(order["number"])
    assert after["counts"]["urges"] == 0 and after["timeline"] == detail["timeline"]


# ------------------------------------------------------------ payloads (issue 13)

def _received(client, instance_id: str) -> list[dict]:
    events = client.get(f"/api/v1/process-instances/{instance_id}/timeline", "crm").json
    return [e for e in events["events"] if e["type"] == "message_received"]


def nested(levels: int) -> dict:
    """An object `levels` deep, with one key at each level."""
    value: dict = {}
    for _ in range(levels - 1):
        value = {"in": value}
    return value


def _refused_payload(response, words: str) -> None:
    assert response.status_code == 422, response.json
    [error] = response.json["errors"]
    assert error["field"] == "body.payload" and words in error["message"], error


@pytest.mark.parametrize(("payload", "words"), [
    # 50,000 keys were stored whole, on the timeline and in the state, again and again.
    ({f"key{n}": n for n in range(50_000)}, "200 keys"),
    ({"text": "x" * 17_000}, "16384 bytes"),
    ({f"k{n}": 0 for n in range(201)}, "200 keys"),
    ({"list": [{"a": n, "b": n} for n in range(101)]}, "200 keys"),
    (nested(21), "20 levels"),
])
def test_a_message_payload_is_capped_at_the_edge(client, waiting, payload, words):
    instance_id = waiting("M-CAP")
    direct = client.post(f"/api/v1/process-instances/{instance_id}/messages/customer_info",
                         "crm", json={"payload": payload})
    _refused_payload(direct, words)
    correlated = client.post("/api/v1/messages", "crm", json={
        "name": "customer_info", "business_key": "M-CAP", "payload": payload})
    _refused_payload(correlated, words)
    assert _received(client, instance_id) == []  # nothing delivered, nothing stored
    at_the_limit = {"deep": nested(19), **{f"k{n}": "x" * 60 for n in range(181)}}
    assert client.post("/api/v1/messages", "crm", json={
        "name": "customer_info", "business_key": "M-CAP",
        "payload": at_the_limit}).status_code == 200


ADDRESS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "new_address": {"type": "string", "minLength": 1, "maxLength": 100},
        "floor": {"type": "integer", "minimum": 0},
        "contact": {"$ref": "#/$defs/contact"},
    },
    "$defs": {"contact": {"type": "string", "pattern": "^1[3-9][0-9]{9}$"}},
    "required": ["new_address"],
    "additionalProperties": False,
}
PAYLOAD_PROPERTY = (
    '<bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="payloadJsonSchemaFilename" value="{}" />'
    '</spiffworkflow:properties></bpmn:extensionElements>')
MESSAGE = '<bpmn:message id="customer_info_message" name="customer_info" />'
CATCH = '<bpmn:intermediateCatchEvent id="wait" name="Customer info arrives">'


def schema_on_message(schema_file: str, key: str = "waits") -> bytes:
    """message_process with its message naming `schema_file` for its payload."""
    xml = message_process(key).decode()
    assert MESSAGE in xml
    return xml.replace(MESSAGE, MESSAGE.replace(" />", ">")
                       + PAYLOAD_PROPERTY.format(schema_file) + "</bpmn:message>").encode()


def schema_on_event(schema_file: str, key: str = "waits") -> bytes:
    """message_process with its catch event naming `schema_file` for the payload."""
    xml = message_process(key).decode()
    assert CATCH in xml
    return xml.replace(CATCH, CATCH + PAYLOAD_PROPERTY.format(schema_file)).encode()


@pytest.fixture(params=["on the message", "on the catch event"])
def checked(request, client, engine):
    """Starts instances of a flow whose message names address.json for its payload."""
    diagram = (schema_on_message if request.param == "on the message" else schema_on_event)
    engine.deployer.deploy([ProcessSource("checked", "checked.bpmn",
                                          diagram("address.json", "checked"),
                                          {"check.json": FORM, "address.json": ADDRESS})])

    def start(business_key: str) -> str:
        response = client.post("/api/v1/process-definitions/checked/start", "crm",
                               json={"business_key": business_key})
        assert response.status_code == 201, response.json
        return response.json["id"]

    return start


def test_a_payload_is_checked_against_the_schema_the_diagram_names(client, checked):
    instance_id = checked("M-S1")
    url = f"/api/v1/process-instances/{instance_id}/messages/customer_info"
    wrong = client.post(url, "crm", json={"payload": {
        "new_address": "", "floor": -1, "contact": "13912345678\n", "fax": "x"}})
    assert wrong.status_code == 422, wrong.json
    assert wrong.json["type"] == "/problems/form-invalid"
    assert {e["field"] for e in wrong.json["errors"]} == {
        "body.payload.new_address", "body.payload.floor", "body.payload.contact",
        "body.payload.fax"}
    missing = client.post("/api/v1/messages", "crm", json={
        "name": "customer_info", "business_key": "M-S1", "payload": {"floor": 2}})
    assert missing.status_code == 422
    assert [(e["field"], e["message"]) for e in missing.json["errors"]] == [
        ("body.payload.new_address", "is required")]
    assert _received(client, instance_id) == []  # refused before anything changed

    right = client.post(url, "crm", json={"payload": {"new_address": "Block 5", "floor": 3,
                                                       "contact": "13912345678"}})
    assert right.status_code == 200, right.json
    detail = client.get(f"/api/v1/process-instances/{instance_id}", "crm").json
    assert detail["variables"]["info"] == {"new_address": "Block 5", "floor": 3,
                                           "contact": "13912345678"}


def test_a_payload_schema_that_does_not_exist_is_refused_at_deploy(engine):
    from engine.definitions.bpmn import DefinitionInvalid

    for diagram, element in ((schema_on_message, "customer_info_message"),
                             (schema_on_event, "wait")):
        content = diagram("adress.json")
        with pytest.raises(DefinitionInvalid) as refused:
            engine.deployer.deploy([ProcessSource("waits", "waits.bpmn", content,
                                                  {"check.json": FORM})])
        [problem] = refused.value.problems
        assert (problem.file, problem.element_id) == ("waits.bpmn", element)
        assert problem.line == next(n for n, line in enumerate(
            content.decode().splitlines(), start=1) if f'id="{element}"' in line)
        assert "'adress.json'" in problem.message and "payload" in problem.message


def test_a_payload_schema_is_checked_as_a_form_at_deploy(client):
    from tests.api.conftest import deploy

    remote = {**ADDRESS, "$defs": {"contact": {"$ref": "http://example.com/phone.json"}}}
    response = deploy(client, {"checked.bpmn": schema_on_message("address.json", "checked"),
                               "check.json": json.dumps(FORM).encode(),
                               "address.json": json.dumps(remote).encode()})
    assert response.status_code == 422, response.json
    [problem] = response.json["errors"]
    assert (problem["file"], problem["element_id"]) == ("address.json",
                                                       "/$defs/contact/$ref")
    form_property = '<spiffworkflow:property name="formJsonSchemaFilename" value="check.json" />'
    misplaced = message_process("misplaced").decode().replace(form_property, form_property + (
        '<spiffworkflow:property name="payloadJsonSchemaFilename" value="address.json" />'))
    response = deploy(client, {"misplaced.bpmn": misplaced.encode(),
                               "check.json": json.dumps(FORM).encode(),
                               "address.json": json.dumps(ADDRESS).encode()})
    assert response.status_code == 422, response.json
    [problem] = response.json["errors"]
    assert problem["element_id"] == "review" and "payloadJsonSchemaFilename" in \
        problem["message"]
