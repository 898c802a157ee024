"""The order deadline (工单时限) over HTTP on the simulated clock: its length from the
service level (urgency, tier, upgraded), shown with the time left; its own rungs on the
escalation ladder; standing still while a stage is paused; met or missed at the feedback
(before a return visit), and the order-level on-time rate."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import TO_NETWORK, act, events, notifications, visit_back, work
from tests.orders import FORM_DATA

HOUR = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-{text}+00:00")


def tick_to(api_clock, engine, moment: datetime) -> None:
    api_clock.set(moment)
    engine.timers.fire_due_timers("worker")


def close(client, number: str) -> None:
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    for department, stage in (("network_operations", "handle"),
                              ("network_operations", "return_result"),
                              ("front_desk", "audit"), ("front_desk", "feedback")):
        work(client, number, department, stage=stage)
    visit_back(client, number)  # the same customer's later orders are repeats: called back


@pytest.mark.parametrize(("fields", "limit", "handling_due"), [
    ({}, "PT48H", "2026-03-02T10:00:00+00:00"),
    ({"channel": "web"}, "PT48H", "2026-03-02T10:00:00+00:00"),
    ({"channel": "regulator"}, "PT24H", "2026-03-02T09:00:00+00:00"),  # upgraded: halved
    ({"urgency": "urgent"}, "PT12H", "2026-03-02T08:30:00+00:00"),
    ({"customer_tier": "vip"}, "PT24H", "2026-03-02T09:00:00+00:00"),
])
def test_the_service_level_sets_the_order_deadline(client, api_clock, fields, limit,
                                                   handling_due):
    number = client.submit(**fields)["number"]  # 08:00
    deadline = client.order(number)["order_deadline"]
    hours = int(limit.removeprefix("PT").removesuffix("H"))
    assert (deadline["limit"], deadline["due_at"], deadline["state"]) == (
        limit, (at("02T08:00:00") + hours * HOUR).isoformat(), "pending")
    assert deadline["seconds_remaining"] == hours * 3600
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    [stage] = client.order(number)["open_stages"]
    assert stage["due_at"] == handling_due
    api_clock.advance(HOUR)
    assert client.order(number)["order_deadline"]["seconds_remaining"] == (hours - 1) * 3600


def test_the_order_deadline_has_its_own_rungs(client, api_clock, engine):
    number = client.submit(urgency="urgent")["number"]  # 12 h: 75 % at 17:00, due 20:00
    tick_to(api_clock, engine, at("02T16:59:59"))
    assert [e for e in events(client.order(number), "escalated")
            if e["detail"]["limit_kind"] == "order"] == []
    tick_to(api_clock, engine, at("02T17:00:01"))
    rung = [e for e in events(client.order(number), "escalated")
            if e["detail"]["limit_kind"] == "order"]
    assert [(e["detail"]["rung"], e["detail"]["notified"]) for e in rung] == \
        [("order_warning", ["front_desk"])]
    tick_to(api_clock, engine, at("02T19:59:59"))
    assert events(client.order(number), "order_overdue") == []
    tick_to(api_clock, engine, at("02T20:00:01"))
    detail = client.order(number)
    [overdue] = events(detail, "order_overdue")
    assert overdue["detail"]["due_at"] == "2026-03-02T20:00:00+00:00"
    assert detail["order_deadline"]["state"] == "fired"
    assert detail["order_deadline"]["met"] is False
    told = [n["event"] for n in notifications(client, "manager")]
    assert "order_breach" in told


def test_a_pause_stops_the_order_deadline(client, api_clock, engine):
    number = client.submit()["number"]  # due 03-04 08:00
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    api_clock.set(at("02T09:00:00"))
    act(client, number, "network_operations", "pause", reason="waiting_for_third_party")
    api_clock.set(at("02T12:00:00"))
    deadline = client.order(number)["order_deadline"]
    assert (deadline["paused"], deadline["seconds_remaining"]) == (True, 47 * 3600)
    act(client, number, "network_operations", "resume")
    deadline = client.order(number)["order_deadline"]
    assert (deadline["paused"], deadline["due_at"]) == (False, "2026-03-04T11:00:00+00:00")
    assert deadline["seconds_remaining"] == 47 * 3600


def test_the_order_level_on_time_rate(client, api_clock, engine):
    # Two orders closed within 48 h, one urgent order closed after its 12 h.
    on_time = [client.submit()["number"] for _ in range(2)]
    late = client.submit(urgency="urgent")["number"]
    api_clock.set(at("02T10:00:00"))
    for number in on_time:
        close(client, number)
    tick_to(api_clock, engine, at("02T21:00:00"))
    close(client, late)
    assert client.order(on_time[0])["order_deadline"]["met"] is True
    assert client.order(late)["order_deadline"]["met"] is False
    response = client.get("/api/v1/reports/order-deadlines", "manager",
                          query_string={"from": "2026-03-02T00:00:00Z",
                                        "to": "2026-03-03T00:00:00Z"})
    assert response.status_code == 200, response.json
    [group] = response.json["groups"]
    assert (group["acceptance_department"], group["closed"], group["met"], group["missed"]) \
        == ("front_desk", 3, 2, 1)
    assert group["on_time_rate"] == pytest.approx(2 / 3)
    csv = client.get("/api/v1/reports/order-deadlines?format=csv&from=2026-03-02", "manager")
    assert csv.status_code == 200 and "front_desk,3,2,1" in csv.get_data(as_text=True)
    assert client.get("/api/v1/reports/order-deadlines", "front_desk").status_code == 403


def test_the_deadline_ends_at_the_reply_not_after_the_return_visit(client, api_clock,
                                                                   engine):
    """The order deadline runs from submission to feedback (the reply the customer was
    promised): an urgent order (12 h, due 20:00) fed back at 10:00 and called back the
    next day met its deadline, and nothing lapses while the visit waits."""
    number = client.submit(urgency="urgent")["number"]
    api_clock.set(at("02T09:00:00"))
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    for department, stage in (("network_operations", "handle"),
                              ("network_operations", "return_result"),
                              ("front_desk", "audit")):
        work(client, number, department, stage=stage)
    api_clock.set(at("02T10:00:00"))
    work(client, number, "front_desk", {**FORM_DATA["feedback.json"],
                                        "satisfaction": "dissatisfied"}, stage="feedback")
    deadline = client.order(number)["order_deadline"]
    assert (deadline["state"], deadline["met"], deadline["seconds_remaining"]) == (
        "met", True, None)
    assert deadline["settled_at"] == "2026-03-02T10:00:00+00:00"
    tick_to(api_clock, engine, at("03T08:00:00"))  # past 20:00, the visit still open
    detail = client.order(number)
    assert [s["stage"] for s in detail["open_stages"]] == ["return_visit"]
    assert events(detail, "order_overdue") == []
    assert visit_back(client, number)
    assert client.order(number)["order_deadline"]["met"] is True
    report = client.get("/api/v1/reports/order-deadlines", "manager", query_string={
        "from": "2026-03-02T00:00:00Z", "to": "2026-03-04T00:00:00Z"}).json
    assert (report["total"]["closed"], report["total"]["met"]) == (1, 1)
