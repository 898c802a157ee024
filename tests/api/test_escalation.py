"""Service levels and the escalation ladder over HTTP, on the simulated clock: urgent
and VIP orders get tighter limits; each rung fires once, at its instant, and tells
the right recipients."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.store.models import Notification, OutboxEvent
from tests.api.conftest import ORDER, ROOT, TO_NETWORK, deploy, notifications, work

SECOND = timedelta(seconds=1)
LADDER = (ROOT / "processes" / "escalation_ladder.dmn").read_bytes()


def tick_to(api_clock, engine, hh_mm_ss: str) -> None:
    """Move the simulated clock to 2026-03-02 `hh_mm_ss` UTC and let a worker run."""
    from datetime import datetime

    api_clock.set(datetime.fromisoformat(f"2026-03-02T{hh_mm_ss}+00:00"))
    engine.timers.fire_due_timers("worker")


def rungs(client, number: str) -> list[tuple]:
    return [(e["stage"], e["detail"]["limit_kind"], e["detail"]["rung"], e["detail"]["due_at"],
             e["detail"]["notified"])
            for e in client.order(number)["timeline"] if e["type"] == "escalated"]


def test_each_rung_of_the_ladder_fires_once_at_its_instant(client, api_clock, engine):
    number = client.submit()["number"]  # 08:00; dispatch limit 15 min, acceptance 1 h 30

    tick_to(api_clock, engine, "08:11:14")
    assert rungs(client, number) == []
    tick_to(api_clock, engine, "08:11:16")  # 75 %: the department is warned
    warning = ("dispatch", "stage", "warning", "2026-03-02T08:11:15+00:00", ["front_desk"])
    assert rungs(client, number) == [warning]
    assert [n["event"] for n in notifications(client, "front_desk")] == ["warning"]

    tick_to(api_clock, engine, "08:14:59")
    assert rungs(client, number) == [warning]
    tick_to(api_clock, engine, "08:15:01")  # 100 %: the department and its supervisor
    breach = ("dispatch", "stage", "breach", "2026-03-02T08:15:00+00:00",
              ["front_desk", "desk_supervisors"])
    assert rungs(client, number) == [warning, breach]
    [lapse] = client.order(number)["lapses"]
    assert (lapse["type"], lapse["stage"], lapse["detail"]["limit"]) == (
        "stage_overdue", "dispatch", "PT15M")
    [told] = notifications(client, "desk_supervisors")
    assert told["event"] == "breach" and told["department"] == "front_desk"
    assert "Dispatch at front_desk has passed 100% of its stage limit (PT15M)" in \
        told["message"]

    tick_to(api_clock, engine, "08:29:59")
    assert notifications(client, "manager") == []
    tick_to(api_clock, engine, "08:30:01")  # 200 %, still open: management
    management = ("dispatch", "stage", "management", "2026-03-02T08:30:00+00:00",
                  ["management"])
    assert rungs(client, number) == [warning, breach, management]
    assert [n["event"] for n in notifications(client, "manager")] == ["management"]

    tick_to(api_clock, engine, "09:30:01")  # the acceptance total (1 h 30) passes
    department = ("dispatch", "department", "breach", "2026-03-02T09:30:00+00:00",
                  ["front_desk", "desk_supervisors"])
    assert rungs(client, number) == [warning, breach, management, department]
    assert [e["type"] for e in client.order(number)["lapses"]] == [
        "stage_overdue", "department_overdue"]

    # Whatever the worker does later, no rung fires twice.
    for moment in ("10:00:00", "12:00:00", "23:00:00"):
        tick_to(api_clock, engine, moment)
    assert rungs(client, number) == [warning, breach, management, department]
    assert [n["event"] for n in notifications(client, "front_desk")] == [
        "breach", "breach", "warning"]
    assert len(notifications(client, "manager")) == 1


def test_a_stage_closed_in_time_cancels_its_remaining_rungs(client, api_clock, engine):
    number = client.submit()["number"]
    tick_to(api_clock, engine, "08:12:00")  # warned
    work(client, number, "front_desk", TO_NETWORK)
    tick_to(api_clock, engine, "12:13:00")  # handle (2 h from 08:12) is past all its rungs
    fired = [(stage, kind, rung) for stage, kind, rung, *_ in rungs(client, number)]
    assert fired == [("dispatch", "stage", "warning"), ("handle", "stage", "warning"),
                     ("handle", "stage", "breach"), ("handle", "department", "breach"),
                     ("handle", "stage", "management")]
    dispatch_rungs = {(t.element_id, t.state) for t in engine.reads.timers(
        client.order(number)["instance_id"]) if t.kind == "rung" and t.stage == "dispatch"}
    assert dispatch_rungs == {("warning", "fired"), ("breach", "cancelled"),
                              ("management", "cancelled")}


def test_a_rung_passed_while_no_worker_ran_is_recorded_before_the_completion(
        client, api_clock, engine):
    number = client.submit()["number"]
    api_clock.advance(timedelta(minutes=12))  # no worker runs
    work(client, number, "front_desk", TO_NETWORK)
    types = [e["type"] for e in client.order(number)["timeline"]]
    assert types.index("escalated") < types.index("completed")


def test_rung_notifications_are_queued_in_the_outbox_with_them(client, api_clock, engine):
    client.submit()
    tick_to(api_clock, engine, "08:30:01")
    with engine.reading() as session:
        rows = session.scalar(select(func.count()).select_from(Notification))
        queued = session.scalars(select(OutboxEvent).where(
            OutboxEvent.type == "notification")).all()
    assert rows == len(queued) == 4  # warning, breach x2, management
    assert {(o.payload["event"], o.payload["recipient"]) for o in queued} == {
        ("warning", "front_desk"), ("breach", "front_desk"), ("breach", "desk_supervisors"),
        ("management", "management")}


@pytest.mark.parametrize(("fields", "dispatch", "handle", "acceptance_total"), [
    ({}, "PT15M", "PT2H", "PT1H30M"),
    ({"urgency": "urgent"}, "PT3M45S", "PT30M", "PT22M30S"),  # respond within 30 min
    ({"customer_tier": "vip"}, "PT7M30S", "PT1H", "PT45M"),
    ({"customer_tier": "special_care", "urgency": "suggestion"}, "PT7M30S", "PT1H", "PT45M"),
    ({"urgency": "suggestion"}, "PT3H", "P1D", "PT18H"),  # respond within 24 h
])
def test_urgency_and_tier_set_the_limits(client, api_clock, engine, fields, dispatch, handle,
                                         acceptance_total):
    number = client.submit(**fields)["number"]
    [stage] = client.order(number)["open_stages"]
    assert (stage["stage_limit"], stage["department_limit"]) == (dispatch, acceptance_total)
    api_clock.advance(SECOND)
    work(client, number, "front_desk", TO_NETWORK)
    [stage] = client.order(number)["open_stages"]
    assert stage["stage_limit"] == handle
    assert stage["seconds_remaining"] == pytest.approx(
        {"PT2H": 7200, "PT30M": 1800, "PT1H": 3600, "P1D": 86400}[handle])


def test_an_urgent_order_breaches_at_its_own_limit(client, api_clock, engine):
    number = client.submit(urgency="urgent")["number"]
    tick_to(api_clock, engine, "08:03:44")
    assert client.order(number)["lapses"] == []
    assert [r[2] for r in rungs(client, number)] == ["warning"]  # 75 % of 3m45s: 08:02:48.75
    tick_to(api_clock, engine, "08:03:46")
    [lapse] = client.order(number)["lapses"]
    assert lapse["detail"]["limit"] == "PT3M45S"
    assert [r[2] for r in rungs(client, number)] == ["warning", "breach"]


def test_a_designer_moves_the_warning_by_deploying_the_ladder(client, api_clock, engine):
    earlier = LADDER.replace(b"<text>75</text>", b"<text>50</text>", 1)
    assert earlier != LADDER
    deployed = deploy(client, {"escalation_ladder.dmn": earlier})
    assert deployed.status_code == 201, deployed.json
    number = client.submit()["number"]
    tick_to(api_clock, engine, "08:07:31")  # 50 % of 15 min
    assert [(r[2], r[3]) for r in rungs(client, number)] == [
        ("warning", "2026-03-02T08:07:30+00:00")]


@pytest.mark.parametrize(("change", "message"), [
    (b"<text>75</text>", b"<text>-5</text>"),
    (b"<text>[&quot;department&quot;]</text>", b"<text>&quot;department&quot;</text>"),
    (b'hitPolicy="COLLECT"', b'hitPolicy="FIRST"'),
])
def test_a_broken_ladder_is_refused_at_deploy(client, change, message):
    broken = LADDER.replace(change, message, 1)
    assert broken != LADDER
    response = deploy(client, {"escalation_ladder.dmn": broken})
    assert response.status_code == 422, response.json
    assert any("escalation ladder" in e["message"] for e in response.json["errors"])


def test_a_flow_naming_a_missing_start_decision_is_refused(client):
    flow = (ROOT / "processes" / "one_department.bpmn").read_bytes().replace(
        b'value="service_levels"', b'value="no_such_table"')
    response = deploy(client, {"one_department.bpmn": flow})
    assert response.status_code == 422
    assert any("'no_such_table'" in e["message"] for e in response.json["errors"])


def test_the_order_cannot_set_its_own_service_level(client, generic):
    # The generic start of a copy of one_department: the same start form and decision.
    response = client.post(f"/api/v1/process-definitions/{generic}/start", "crm", json={
        "business_key": "SL-1", "variables": {**{k: v for k, v in ORDER.items()
                                                 if k != "key_fields"},
                                              "limit_factor": 100}})
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"variables.limit_factor"}


def test_a_supervisor_told_of_a_breach_can_open_the_order(client, api_clock, engine):
    number = client.submit()["number"]
    assert client.get(f"/api/v1/work-orders/{number}", "desk_supervisors").status_code == 404
    tick_to(api_clock, engine, "08:15:01")
    assert client.order(number, as_="desk_supervisors")["number"] == number
    listed = client.get("/api/v1/work-orders", "desk_supervisors").json["items"]
    assert [o["number"] for o in listed] == [number]


ROUTING = (ROOT / "processes" / "routing.dmn").read_bytes()
SERVICE_LEVELS = (ROOT / "processes" / "service_levels.dmn").read_bytes()
ONE_DEPARTMENT = (ROOT / "processes" / "one_department.bpmn").read_bytes()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("escalation_ladder.dmn", LADDER.replace(b"[&quot;management&quot;]",
                                             b"[&quot;managment&quot;]"), "'managment'"),
    ("service_levels.dmn", SERVICE_LEVELS.replace(b"<text>0.25</text>", b"<text>0</text>"),
     "a limit factor must be a number above 0"),
    ("service_levels.dmn", SERVICE_LEVELS.replace(b"<text>3</text>", b"<text>2.5</text>", 1),
     "must be a whole number"),
    ("routing.dmn", ROUTING.replace(b"&quot;billing&quot;</text>\n        </outputEntry>",
                                    b"&quot;billing_centre&quot;</text>\n        </outputEntry>"),
     "'billing_centre' is not a department"),
    ("one_department.bpmn", ONE_DEPARTMENT.replace(
        b'<spiffworkflow:property name="startDecision" value="service_levels" />', b""),
     "only a start decision sets"),
])
def test_a_deployment_that_orders_would_fail_on_is_refused(client, name, content, message):
    assert content != {"escalation_ladder.dmn": LADDER, "service_levels.dmn": SERVICE_LEVELS,
                       "routing.dmn": ROUTING, "one_department.bpmn": ONE_DEPARTMENT}[name]
    response = deploy(client, {name: content})
    assert response.status_code == 422, response.json
    assert any(message in e["message"] for e in response.json["errors"]), response.json


def test_a_department_past_its_total_sees_how_far(client, api_clock, engine):
    number = client.submit()["number"]
    tick_to(api_clock, engine, "09:40:00")  # the acceptance total (1 h 30) ran out at 09:30
    [stage] = client.order(number)["open_stages"]
    assert stage["department_due_at"] == "2026-03-02T09:30:00+00:00"
    assert stage["department_seconds_remaining"] == -600
