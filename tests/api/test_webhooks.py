"""Webhooks end to end: subscriptions over HTTP, a real receiver on loopback, signatures
checked with the standardwebhooks package, retries, the dead letter and health."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from engine.integrations.catalogue import CATALOGUE
from engine.integrations.worker import DeliveryWorker
from engine.runtime.incidents import RetryPolicy
from tests.api.conftest import TO_NETWORK, act, work
from tests.api.webhook_helpers import (
    WAIT_PAST_RETRY,
    allow_loopback,
    deliver_all,
    subscribe,
)
from tests.orders import FORM_DATA
from tests.receivers import Receiver

MINUTE = timedelta(minutes=1)
EVERYTHING = tuple(CATALOGUE)


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.close()


def drive_order(client, api_clock, engine) -> str:
    """An order (one_department) through every kind of event: a late dispatch (stage
    and department lapses, ladder rungs), an urge, a transfer, a send-back, an audit
    rejection, a dissatisfied feedback whose return visit reopens the order, and the
    close."""
    number = client.submit()["number"]
    api_clock.advance(100 * MINUTE)  # dispatch: 15 min; acceptance total: 1 h 30
    engine.timers.fire_due_timers("timer-worker")
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    api_clock.advance(11 * MINUTE)
    act(client, number, "front_desk", "urge", note="Customer called again.")
    act(client, number, "network_operations", "transfer", to_department="billing",
        reason="A billing dispute.")
    act(client, number, "billing", "send-back", reason="Not ours.")
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    work(client, number, "network_operations", stage="handle")
    work(client, number, "network_operations", stage="return_result")
    act(client, number, "front_desk", "audit", approved=False, reason="Still no signal.")
    work(client, number, "network_operations", stage="handle")
    work(client, number, "network_operations", stage="return_result")
    work(client, number, "front_desk", stage="audit")
    work(client, number, "front_desk", {**FORM_DATA["feedback.json"],
                                        "satisfaction": "dissatisfied"}, stage="feedback")
    work(client, number, "front_desk", {"visit_reached": True, "visit_resolved": False,
                                        "visit_satisfaction": "dissatisfied",
                                        "reason": "Still no signal."}, stage="return_visit")
    for department, stage in (("network_operations", "handle"),
                              ("network_operations", "return_result"),
                              ("front_desk", "audit"), ("front_desk", "feedback")):
        work(client, number, department, stage=stage)
    return number


def test_a_receiver_gets_every_event_of_an_order_in_order_signed(
        client, app, api_clock, engine, receiver):
    integrations = allow_loopback(app)
    created = subscribe(client, receiver.url, EVERYTHING)
    number = drive_order(client, api_clock, engine)
    deliver_all(integrations)

    # Exactly what the feed serves for the order, in the same order, each once.
    feed = client.get("/api/v1/events", "crm", query_string={"limit": 500}).get_json()
    assert not feed["has_more"]
    assert [r.json for r in receiver.received] == feed["items"]
    assert len(set(receiver.ids())) == len(receiver.received)
    event_ids = [r.json["event_id"] for r in receiver.received]
    assert event_ids == sorted(event_ids)
    # Every type the order went through, each as documented.
    # (Pauses, endings other than the close and the order deadline: test_event_catalogue.)
    assert set(receiver.types()) == set(EVERYTHING) - {
        "reassignment_capped", "paused", "resumed", "withdrawn", "cancelled",
        "order_overdue"}
    assert receiver.types()[:2] == ["order_submitted", "stage_opened"]
    assert receiver.types()[-1] == "order_closed"
    signer = Webhook(created["secret"])
    for received in receiver.received:
        body = received.json
        assert signer.verify(received.body, received.headers) == body
        assert received.headers["webhook-id"] == body["id"] == f"evt_{body['event_id']}"
        assert body["data"]["order"] == number and body["data"]["flow"] == "one_department"
        assert body["data"]["acceptance_department"] == "front_desk"
        assert body["type"] in CATALOGUE
    rungs = [r.json["data"]["rung"] for r in receiver.received if r.json["type"] == "escalated"]
    assert {"warning", "breach"} <= set(rungs)
    transferred = next(r.json["data"] for r in receiver.received
                       if r.json["type"] == "transferred")
    assert (transferred["from_department"], transferred["reason"],
            transferred["to_departments"]) == ("network_operations", "A billing dispute.",
                                               ["billing"])
    reopened = next(r.json["data"] for r in receiver.received if r.json["type"] == "reopened")
    assert (reopened["stage"], reopened["reason"], reopened["to_departments"]) == (
        "return_visit", "Still no signal.", ["network_operations"])
    # A forged signature does not verify.
    forged = dict(receiver.received[0].headers, **{"webhook-signature": "v1,AAAA"})
    with pytest.raises(Exception, match="signature"):
        signer.verify(receiver.received[0].body, forged)
    health = client.get(f"/api/v1/subscriptions/{created['id']}", "crm").get_json()
    assert health["consecutive_failures"] == 0 and health["last_success_at"]


def test_an_endpoint_failing_three_times_gets_the_event_once_more_and_no_duplicates(
        client, app, api_clock, receiver):
    integrations = allow_loopback(app)
    receiver.fail_first = 3
    created = subscribe(client, receiver.url, EVERYTHING)
    number = client.submit()["number"]
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    for _ in range(3):
        deliver_all(integrations)
        api_clock.advance(WAIT_PAST_RETRY)
    deliver_all(integrations)
    ids = receiver.ids()
    first = ids[0]
    assert ids[:4] == [first] * 4  # three failures, then the success
    assert len(ids[4:]) == len(set(ids[4:])) and first not in ids[4:]
    assert [r.json["type"] for r in receiver.received[3:]] == [
        "order_submitted", "stage_opened", "stage_opened"]
    health = client.get(f"/api/v1/subscriptions/{created['id']}", "crm").get_json()
    assert health["consecutive_failures"] == 0
    assert health["last_error"] == "HTTP 500 Internal Server Error"
    deliveries = client.get(f"/api/v1/subscriptions/{created['id']}/deliveries",
                            "crm").get_json()["items"]
    assert [(d["state"], d["attempts"]) for d in deliveries] == [
        ("delivered", 1), ("delivered", 1), ("delivered", 4)]


def test_a_dead_endpoint_ends_in_the_dead_letter_and_slows_no_other(
        client, app, api_clock, engine, receiver):
    integrations = allow_loopback(app, timeout_seconds=5.0, retry=RetryPolicy(
        max_attempts=2, first_delay=timedelta(seconds=10), max_delay=timedelta(minutes=1)))
    hung = Receiver(hold=True).start()
    try:
        dead = subscribe(client, hung.url, ["order_submitted", "stage_opened"])
        alive = subscribe(client, receiver.url, ["order_submitted", "stage_opened"])
        number = client.submit()["number"]

        worker = DeliveryWorker(integrations, "w1")
        worker.run_once()  # both subscriptions' first events go out at once
        assert hung.arrived.wait(10)
        hanging = worker.in_flight[dead["id"]]
        started = time.monotonic()
        while len(receiver.received) < 2 and time.monotonic() - started < 10:
            worker.run_once()  # the live one's next event, while the hung one waits
            receiver.arrived.wait(0.05)
        assert receiver.types() == ["order_submitted", "stage_opened"]
        # Both of the live endpoint's events arrived while the hung request was still
        # waiting for its answer (up to its 5 s timeout): nothing waited for it.
        assert not hanging.done(), "the live endpoint waited for the hung one"

        worker.executor.shutdown(wait=True)  # the hung request times out (5 s)
        api_clock.advance(WAIT_PAST_RETRY)
        deliver_all(integrations)  # the second and last attempt
        deliveries = client.get(f"/api/v1/subscriptions/{dead['id']}/deliveries",
                                "crm", query_string={"state": "dead"}).get_json()["items"]
        assert [(d["attempts"], d["last_error"][:11]) for d in deliveries] == [
            (2, "TimeoutErro")]
        [incident] = client.get("/api/v1/incidents", "manager").get_json()["items"]
        assert (incident["kind"], incident["business_key"], incident["attempts"]) == (
            "delivery", number, 2)
        health = client.get(f"/api/v1/subscriptions/{dead['id']}", "crm").get_json()
        assert health["consecutive_failures"] >= 2 and health["last_success_at"] is None
        assert client.get(f"/api/v1/subscriptions/{alive['id']}",
                          "crm").get_json()["consecutive_failures"] == 0

        # Retried, the dead letter goes out again (and fails again: still dead).
        response = client.post(f"/api/v1/incidents/{incident['id']}/retry", "admin")
        assert response.status_code == 200 and response.get_json()["state"] == "retried"
        assert client.post(f"/api/v1/incidents/{incident['id']}/retry",
                           "admin").status_code == 409
        assert client.post(f"/api/v1/incidents/{incident['id']}/retry",
                           "manager").status_code == 403
    finally:
        hung.close()


def test_a_subscription_failing_too_often_is_disabled_until_enabled(
        client, app, api_clock, receiver):
    integrations = allow_loopback(app, disable_after_failures=2)
    receiver.fail_first = 2
    created = subscribe(client, receiver.url, ["order_submitted"])
    client.submit()
    for _ in range(3):
        deliver_all(integrations)
        api_clock.advance(WAIT_PAST_RETRY)
    assert len(receiver.received) == 2  # nothing tried once it was disabled
    path = f"/api/v1/subscriptions/{created['id']}"
    health = client.get(path, "crm").get_json()
    assert (health["state"], health["consecutive_failures"]) == ("disabled", 2)
    assert health["disabled_at"] is not None
    enabled = client.post(f"{path}/enable", "crm").get_json()
    assert (enabled["state"], enabled["consecutive_failures"]) == ("active", 0)
    deliver_all(integrations)
    assert receiver.types() == ["order_submitted"] * 3
    assert client.get(path, "crm").get_json()["last_success_at"] is not None
