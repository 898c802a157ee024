"""Pausing a stage's clock (挂起) over HTTP, on the simulated clock: while paused no limit,
department total or rung passes; on resume (by hand, at the time given, on the customer's
reply, or by completing the stage) every due time moves on by the pause; caps per order
refuse with 409; the inbox, the order and its timeline show it."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.api.conftest import TO_NETWORK, act, events, visit_back, work

SECOND = timedelta(seconds=1)


def at(hh_mm_ss: str, day: int = 2) -> datetime:
    return datetime.fromisoformat(f"2026-03-{day:02d}T{hh_mm_ss}+00:00")


def tick_to(api_clock, engine, moment: datetime) -> None:
    api_clock.set(moment)
    engine.timers.fire_due_timers("worker")


@pytest.fixture
def handling(client, api_clock):
    """An order whose handling stage (2 h; network operations' total 3 h) opened at
    08:05: due 10:05; rungs at 09:35 (75 %), 10:05, 12:05 (200 %); total at 11:05."""
    number = client.submit()["number"]
    api_clock.set(at("08:05:00"))
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    return number


def pause(client, number, expect=200, **body):
    return act(client, number, "network_operations", "pause", expect,
               **{"reason": "waiting_for_customer", **body})


def test_a_pause_stops_every_clock_and_resuming_moves_them_on(client, api_clock, engine,
                                                              handling):
    number = handling
    api_clock.set(at("08:35:00"))
    detail = pause(client, number, note="Asked the customer for the bill")
    [stage] = detail["open_stages"]
    assert stage["paused_since"] == "2026-03-02T08:35:00+00:00"
    [task] = client.inbox("network_operations", business_key=number)["items"]
    assert task["paused_since"] == "2026-03-02T08:35:00+00:00"

    tick_to(api_clock, engine, at("11:35:00"))  # the stage and total would have passed
    detail = client.order(number)
    assert events(detail, "stage_overdue") == events(detail, "escalated") == []
    [stage] = detail["open_stages"]
    assert stage["seconds_remaining"] == 90 * 60  # stood still at 08:35

    # The customer's reply, posted by the integrator: 3 h paused.
    detail = act(client, number, "crm", "resume", note="Bill received")
    [stage] = detail["open_stages"]
    assert stage["paused_since"] is None
    assert stage["due_at"] == "2026-03-02T13:05:00+00:00"
    assert stage["department_due_at"] == "2026-03-02T14:05:00+00:00"
    [resumed] = events(detail, "resumed")
    assert (resumed["actor"], resumed["detail"]["how"], resumed["detail"]["paused_seconds"]) \
        == ("crm", "message", 3 * 3600)
    [paused] = events(detail, "paused")
    assert (paused["actor"], paused["detail"]["reason"], paused["detail"]["note"]) == (
        "network_operations", "waiting_for_customer", "Asked the customer for the bill")

    # The rungs moved by 3 h as well: the warning at 12:35, the breach at 13:05.
    tick_to(api_clock, engine, at("12:34:59"))
    assert events(client.order(number), "escalated") == []
    tick_to(api_clock, engine, at("12:35:01"))
    assert [e["detail"]["rung"] for e in events(client.order(number), "escalated")] == \
        ["warning"]
    tick_to(api_clock, engine, at("13:04:59"))
    assert events(client.order(number), "stage_overdue") == []
    tick_to(api_clock, engine, at("13:05:01"))
    [overdue] = events(client.order(number), "stage_overdue")
    assert overdue["detail"]["due_at"] == "2026-03-02T13:05:00+00:00"


def test_the_department_total_counts_its_stages_net_of_pauses(client, api_clock, engine,
                                                              handling):
    number = handling
    api_clock.set(at("08:35:00"))
    pause(client, number)
    api_clock.set(at("11:35:00"))
    act(client, number, "network_operations", "resume")  # by hand
    api_clock.set(at("12:05:00"))
    work(client, number, "network_operations", stage="handle")  # held 1 h net
    detail = client.order(number)
    [stage] = detail["open_stages"]  # return_result: 2 h of the 3 h total left
    assert (stage["stage"], stage["department_due_at"]) == ("return_result",
                                                            "2026-03-02T14:05:00+00:00")
    [handle] = [s for s in detail["durations"]["stages"] if s["stage"] == "handle"]
    assert (handle["held_seconds"], handle["paused_seconds"]) == (3600, 3 * 3600)
    # Network operations works 08:00-22:00 in Shanghai (data/calendars.json): all of
    # 16:05-20:05 there is working time, less the pause.
    assert (handle["elapsed_seconds"], handle["working_seconds"]) == (4 * 3600, 3600)
    assert handle["within_limit"] is True


def test_a_pause_resumes_by_itself_at_the_time_given(client, api_clock, engine, handling):
    number = handling
    api_clock.set(at("08:35:00"))
    pause(client, number, resume_at="2026-03-02T09:35:00+00:00")
    tick_to(api_clock, engine, at("09:34:59"))
    assert events(client.order(number), "resumed") == []
    tick_to(api_clock, engine, at("09:35:01"))
    detail = client.order(number)
    [resumed] = events(detail, "resumed")
    assert (resumed["actor"], resumed["detail"]["how"]) == ("worker", "time")
    [stage] = detail["open_stages"]
    assert stage["paused_since"] is None
    assert stage["due_at"] == "2026-03-02T11:05:01+00:00"  # moved by 1 h 0 min 1 s


def test_completing_a_paused_stage_ends_its_pause(client, api_clock, handling):
    number = handling
    api_clock.set(at("08:35:00"))
    pause(client, number)
    api_clock.set(at("09:35:00"))
    work(client, number, "network_operations", stage="handle")
    detail = client.order(number)
    assert [e["detail"]["how"] for e in events(detail, "resumed")] == ["completed"]
    assert [s["paused_since"] for s in detail["open_stages"]] == [None]


def test_the_pause_caps_of_the_service_level_refuse_with_409(client, api_clock, handling):
    number = handling  # a normal complaint: 3 pauses, 3 days paused in all
    for minute in (10, 20, 30):
        api_clock.set(at(f"08:{minute}:00"))
        pause(client, number)
        api_clock.set(at(f"08:{minute + 5}:00"))
        act(client, number, "network_operations", "resume")
    refused = pause(client, number, expect=409)
    assert refused["detail"] == (f"work order {number} was paused 3 times, the most its "
                                 "service level allows (max_pauses = 3)")
    assert len(events(client.order(number), "paused")) == 3
    other = client.submit()["number"]
    api_clock.set(at("09:00:00"))
    work(client, other, "front_desk", TO_NETWORK, stage="dispatch")
    too_long = pause(client, other, expect=409, resume_at="2026-03-05T09:00:01+00:00")
    assert "past max_pause_time = P3D" in too_long["detail"]
    assert events(client.order(other), "paused") == []


def test_bad_pauses_are_refused_with_the_field(client, api_clock, handling):
    number = handling
    unknown = pause(client, number, expect=422, reason="lunch")
    assert [e["field"] for e in unknown["errors"]] == ["body.reason"]
    assert "waiting_for_customer" in unknown["errors"][0]["message"]
    past = pause(client, number, expect=422, resume_at="2026-03-02T07:00:00+00:00")
    assert [e["field"] for e in past["errors"]] == ["body.resume_at"]
    # Only the holder pauses its own stage; resuming what is not paused is a conflict.
    act(client, number, "front_desk", "pause", 409, reason="waiting_for_customer")
    act(client, number, "network_operations", "resume", 409)
    pause(client, number)
    assert "is paused since" in pause(client, number, expect=409)["detail"]
    assert events(client.order(number), "paused")[0]["department"] == "network_operations"


def test_the_reports_count_on_time_net_of_pauses(client, api_clock, engine):
    """Handling opened at 08:05 with a 2 h limit. Order A is paused 08:35-11:35 and
    handled at 12:00 (3 h 55 elapsed, 55 min net: on time); order B is handled at 10:30
    (2 h 25: breached); order C is paused at 09:00 and still paused at the report's end
    (not overdue). The order-deadline report counts A's 3 h of pause apart."""
    paused, late, waiting = (client.submit()["number"] for _ in range(3))
    api_clock.set(at("08:05:00"))
    for number in (paused, late, waiting):
        work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    api_clock.set(at("08:35:00"))
    pause(client, paused)
    api_clock.set(at("09:00:00"))
    pause(client, waiting)
    api_clock.set(at("10:30:00"))
    work(client, late, "network_operations", stage="handle")
    api_clock.set(at("11:35:00"))
    act(client, paused, "network_operations", "resume")
    api_clock.set(at("12:00:00"))
    work(client, paused, "network_operations", stage="handle")
    response = client.get("/api/v1/reports/timeliness", "manager", query_string={
        "from": "2026-03-02T00:00:00Z", "to": "2026-03-02T12:30:00Z", "group_by": "stage"})
    assert response.status_code == 200, response.json
    [handle] = [g for g in response.json["groups"] if g["name"] == "handle"]
    assert (handle["stages_completed"], handle["on_time"], handle["breached"]) == (2, 1, 1)
    assert (handle["open"], handle["open_overdue"]) == (1, 0)
    for number in (paused, late):
        for department, stage in (("network_operations", "return_result"),
                                  ("front_desk", "audit"), ("front_desk", "feedback")):
            work(client, number, department, stage=stage)
        visit_back(client, number)  # repeats of one customer number are called back
    report = client.get("/api/v1/reports/order-deadlines", "manager", query_string={
        "from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}).json
    assert (report["total"]["closed"], report["total"]["met"]) == (2, 2)
    assert report["total"]["paused_seconds"] == 3 * 3600
