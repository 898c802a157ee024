"""Delivering messages to an instance, directly or correlated by business key."""
from __future__ import annotations

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
