"""Withdrawal and cancellation (issue 15): every clock and ladder rung stops, the order
ends as withdrawn or cancelled, counted apart in the reports."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.store.models import HumanTask, Notification, TimelineEvent, Timer
from tests.api.conftest import act, events, notifications, work
from tests.api.people import person
from tests.orders import FORM_DATA

TO_NETWORK_OPS = FORM_DATA["dispatch.json"]


def _counts(engine, instance_id: str) -> tuple[int, int, int]:
    """(pending timers, timeline entries, notifications) of an instance."""
    with engine.reading() as session:
        return tuple(session.scalar(select(func.count()).select_from(model).where(*where))
                     for model, where in (
            (Timer, (Timer.instance_id == instance_id, Timer.state == "pending")),
            (TimelineEvent, (TimelineEvent.instance_id == instance_id,)),
            (Notification, (Notification.instance_id == instance_id,))))


def test_a_withdrawal_stops_every_limit_and_ladder_rung(client, engine, api_clock):
    withdrawn = client.submit(external_reference="W-1")
    kept = client.submit(external_reference="W-2")
    for order in (withdrawn, kept):
        work(client, order["number"], "front_desk", TO_NETWORK_OPS)
    instance = withdrawn["instance_id"]
    pending, _, _ = _counts(engine, instance)
    with engine.reading() as session:
        kinds = set(session.scalars(select(Timer.kind).where(
            Timer.instance_id == instance, Timer.state == "pending")))
    assert pending and {"stage", "department", "rung"} <= kinds

    detail = act(client, withdrawn["number"], "front_desk", "withdraw",
                 reason="The customer's problem went away.")
    assert detail["status"] == "withdrawn" and detail["open_stages"] == []
    [entry] = events(detail, "withdrawn")
    assert (entry["actor"], entry["department"], entry["detail"]["reason"]) == (
        "front_desk", "front_desk", "The customer's problem went away.")
    assert events(detail, "task_cancelled")
    pending, entries, told = _counts(engine, instance)
    assert pending == 0

    # Days later, with the worker running: nothing of the withdrawn order fires, while
    # the order left alone breaches its limits and climbs its ladder.
    for _ in range(6):
        api_clock.advance(timedelta(hours=4))
        engine.timers.fire_due_timers("test-worker")
    assert _counts(engine, instance) == (0, entries, told)
    assert events(client.order(kept["number"]), "stage_overdue")
    assert notifications(client, "network_ops", business_key=kept["number"])
    assert client.inbox("network_ops", business_key=withdrawn["number"])["items"] == []
    act(client, withdrawn["number"], "front_desk", "withdraw", reason="again", expect=409)
    act(client, withdrawn["number"], "front_desk", "urge", expect=409)


def test_who_withdraws(client):
    number = client.submit(external_reference="W-3")["number"]
    act(client, number, "hotline", "withdraw", reason="x", expect=404)  # not its order
    act(client, number, "billing", "withdraw", reason="x", expect=404)
    act(client, number, "front_desk", "withdraw", reason="", expect=422)
    work(client, number, "front_desk", TO_NETWORK_OPS)
    act(client, number, "network_ops", "withdraw", reason="x", expect=403)
    detail = act(client, number, "crm", "withdraw", reason="Customer called the CRM.")
    assert detail["status"] == "withdrawn"
    assert events(detail, "withdrawn")[0]["actor"] == "crm"
    listed = client.get("/api/v1/work-orders?status=withdrawn", "crm").get_json()
    assert [o["number"] for o in listed["items"]] == [number]
    assert client.get("/api/v1/work-orders?status=open", "crm").get_json()["items"] == []


def test_a_supervisor_cancels_a_duplicate(client, engine):
    person(client, "SUP", ["supervisor"], ["front_desk"])
    person(client, "H1", ["handler"], ["front_desk"])
    first = client.submit(external_reference="D-1")["number"]
    duplicate = client.submit(external_reference="D-2")["number"]
    act(client, duplicate, "H1", "cancel", reason="same", duplicate_of=first, expect=403)
    act(client, duplicate, "front_desk", "cancel", reason="same", duplicate_of=first,
        expect=403)
    for wrong in (duplicate, "WO-20990101-000001"):
        refused = act(client, duplicate, "SUP", "cancel", reason="same", duplicate_of=wrong,
                      expect=422)
        assert [e["field"] for e in refused["errors"]] == ["body.duplicate_of"]
    detail = act(client, duplicate, "SUP", "cancel", reason="Raised twice by the hotline.",
                 duplicate_of=first)
    assert detail["status"] == "cancelled"
    [entry] = events(detail, "cancelled")
    assert (entry["actor"], entry["department"], entry["detail"]["duplicate_of"]) == (
        "SUP", "front_desk", first)
    with engine.reading() as session:
        states = set(session.scalars(select(HumanTask.state).where(
            HumanTask.business_key == duplicate)))
    assert states == {"cancelled"}
    assert client.order(first)["status"] == "open"


def test_withdrawn_and_cancelled_orders_are_counted_apart(client, api_clock):
    person(client, "SUP", ["supervisor"], ["front_desk"])
    start = api_clock.now()
    numbers = [client.submit(external_reference=f"R-{n}")["number"] for n in range(4)]
    act(client, numbers[0], "front_desk", "withdraw", reason="x")
    act(client, numbers[1], "crm", "withdraw", reason="y")
    act(client, numbers[2], "SUP", "cancel", reason="z", duplicate_of=numbers[3])
    api_clock.advance(timedelta(hours=6))  # numbers[3] runs late meanwhile
    window = {"from": start.isoformat(), "to": api_clock.now().isoformat()}
    report = client.get("/api/v1/reports/endings", "manager", query_string=window).get_json()
    assert (report["withdrawn"], report["cancelled"]) == (2, 1)
    assert report["departments"] == [
        {"department": "front_desk", "withdrawn": 2, "cancelled": 1}]
    at_risk = client.get("/api/v1/reports/at-risk", "manager").get_json()["items"]
    assert {row["business_key"] for row in at_risk} == {numbers[3]}
    assert client.get("/api/v1/reports/endings", "front_desk").status_code == 403
