"""Stage limits and department totals fire at the right simulated instant."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.orders import DEPARTMENT_OF_LANE, DEPARTMENT_TOTALS, FLOW_STAGES

SECOND = timedelta(seconds=1)
STAGE_CASES = [
    (flow, stage, limit)
    for flow, stages in FLOW_STAGES.items()
    for stage, _lane, _form, limit in stages
]


@pytest.mark.parametrize(("flow", "stage", "limit"), STAGE_CASES)
def test_stage_limit_fires_one_second_after_the_limit(flow, stage, limit, orders):
    instance_id = orders.start(flow)
    task = orders.complete_until(instance_id, stage)

    orders.tick(limit - SECOND)
    assert orders.events(instance_id, "timer_fired", "stage_overdue") == []

    orders.tick(2 * SECOND)
    overdue = orders.events(instance_id, "stage_overdue")
    assert [(e.stage, e.department) for e in overdue] == [(stage, task.department)]
    assert overdue[0].detail["due_at"] == (task.created_at + limit).isoformat()
    # The order keeps moving: the stage is still open and can be completed late.
    assert orders.open_task(instance_id).id == task.id
    orders.complete(instance_id, stage)
    assert orders.events(instance_id, "completed")[-1].detail["overdue"] is True


LANE_CASES = [
    (flow, lane, total)
    for flow, totals in DEPARTMENT_TOTALS.items()
    for lane, total in totals.items()
]


@pytest.mark.parametrize(("flow", "lane", "total"), LANE_CASES)
def test_department_total_counts_only_that_departments_own_time(flow, lane, total, orders):
    """The department spends half of each earlier stage's limit; every other department
    is instant. Its total then runs out during its last stage at exactly
    ready + (total - time already held)."""
    instance_id = orders.start(flow)
    lane_stages = [(s, limit) for s, stage_lane, _f, limit in FLOW_STAGES[flow]
                   if stage_lane == lane]
    used = timedelta(0)
    for stage, limit in lane_stages[:-1]:
        orders.complete_until(instance_id, stage)
        orders.tick(limit / 2)
        orders.complete(instance_id, stage)
        used += limit / 2
    last = orders.complete_until(instance_id, lane_stages[-1][0])
    remaining = total - used

    orders.tick(remaining - SECOND)
    assert orders.events(instance_id, "department_overdue") == []

    orders.tick(2 * SECOND)
    overdue = orders.events(instance_id, "department_overdue")
    assert [(e.stage, e.department) for e in overdue] == [(last.stage,
                                                           DEPARTMENT_OF_LANE[lane])]
    assert overdue[0].detail["limit"] == _iso(total)


def test_acceptance_total_is_not_consumed_while_another_department_holds_the_order(orders):
    instance_id = orders.start("one_department")
    orders.tick(timedelta(minutes=10))
    orders.complete(instance_id, "dispatch")
    orders.tick(timedelta(hours=1, minutes=50))
    orders.complete(instance_id, "handle")
    orders.tick(timedelta(minutes=10))
    orders.complete(instance_id, "return_result")
    orders.complete(instance_id, "audit")

    # Feedback: its own limit is 1 h; the acceptance total (1 h 30) has 80 min left.
    orders.tick(timedelta(hours=1) + SECOND)
    assert [e.stage for e in orders.events(instance_id, "stage_overdue")] == ["feedback"]
    orders.tick(timedelta(minutes=20) - 2 * SECOND)
    assert orders.events(instance_id, "department_overdue") == []
    orders.tick(2 * SECOND)
    assert [e.department for e in orders.events(instance_id, "department_overdue")] == [
        "front_desk"]


@pytest.mark.parametrize("flow", sorted(FLOW_STAGES))
def test_completing_each_stage_in_time_cancels_its_timers(flow, orders, engine):
    instance_id = orders.start(flow)
    for stage, _lane, _form, limit in FLOW_STAGES[flow]:
        orders.tick(limit - SECOND)
        orders.complete(instance_id, stage)
    orders.tick(timedelta(days=2))

    assert orders.events(instance_id, "timer_fired", "stage_overdue",
                         "department_overdue") == []
    timers = engine.reads.timers(instance_id)
    assert timers and {t.state for t in timers if t.kind not in ("rung", "deadline")} == {
        "cancelled"}
    assert {t.state for t in timers if t.kind == "deadline"} == {"met"}  # the order deadline
    # Each stage was held past 75 % of its limit: its warning rung fired, nothing more.
    warned = [(e.stage, e.detail["rung"]) for e in orders.events(instance_id, "escalated")]
    assert warned == [(stage, "warning") for stage, *_rest in FLOW_STAGES[flow]]
    assert {t.state for t in timers if t.kind == "rung" and t.element_id != "warning"} == {
        "cancelled"}


def test_a_limit_passed_before_completion_is_recorded_even_if_no_worker_ran(orders):
    instance_id = orders.start("one_department")
    orders.clock.advance(timedelta(minutes=20))  # no worker runs
    orders.complete(instance_id, "dispatch")
    types = [e.type for e in orders.events(instance_id)]
    assert types.index("stage_overdue") < types.index("completed")


def test_a_timer_fires_once_however_often_the_worker_runs(orders):
    instance_id = orders.start("one_department")
    # The stage limit, and the ladder's warning (75 %) and breach (100 %) rungs.
    assert orders.tick(timedelta(minutes=15) + SECOND) == 3
    assert orders.tick(SECOND) == 0
    assert orders.tick(timedelta(minutes=1)) == 0
    assert len(orders.events(instance_id, "stage_overdue")) == 1


def test_department_lapse_is_recorded_once_per_department(orders):
    """Acceptance runs out of its total at dispatch; feedback later adds no second lapse."""
    instance_id = orders.start("one_department")
    orders.tick(timedelta(hours=1, minutes=31))
    orders.complete(instance_id, "dispatch")
    orders.complete(instance_id, "handle")
    orders.complete(instance_id, "return_result")
    orders.complete(instance_id, "audit")
    orders.tick(timedelta(minutes=1))
    orders.complete(instance_id, "feedback")
    lapses = orders.events(instance_id, "department_overdue")
    assert [(e.stage, e.department) for e in lapses] == [("dispatch", "front_desk")]


def test_one_department_in_two_lanes_has_two_totals(orders):
    """The remote end both accepts and processes: each lane's total lapses on its own."""
    instance_id = orders.start("one_department", acceptance_department="remote_end")
    orders.tick(timedelta(hours=1, minutes=31))
    orders.engine.commands.complete_task(orders.open_task(instance_id).id,
                                {"processing_department": "remote_end"}, "clerk")
    orders.tick(timedelta(hours=3, seconds=1))
    lapses = orders.events(instance_id, "department_overdue")
    assert [(e.stage, e.department, e.detail["lane"]) for e in lapses] == [
        ("dispatch", "remote_end", "Acceptance"), ("handle", "remote_end", "Processing")]


def test_overdue_events_are_queued_for_notification(orders, engine):
    from sqlalchemy import select

    from engine.store.models import OutboxEvent

    instance_id = orders.start("one_department")
    orders.tick(timedelta(minutes=15) + SECOND)
    with engine.sessions() as session:
        outbox = session.scalars(select(OutboxEvent).where(
            OutboxEvent.instance_id == instance_id).order_by(OutboxEvent.id)).all()
    assert [(o.type, o.payload.get("stage"), o.payload.get("department"),
             o.payload.get("rung")) for o in outbox if o.type != "notification"] == [
        ("instance_started", None, None, None),
        ("stage_opened", "dispatch", "front_desk", None),
        ("stage_overdue", "dispatch", "front_desk", None),
        ("escalated", "dispatch", "front_desk", "warning"),
        ("escalated", "dispatch", "front_desk", "breach")]
    # The ladder's notifications are queued with it (no directory: management is the
    # supervisor of everyone).
    assert [(o.payload["event"], o.payload["recipient"]) for o in outbox
            if o.type == "notification"] == [
        ("warning", "front_desk"), ("breach", "front_desk"), ("breach", "management")]


def _iso(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")


def _deploy_with_reminder(engine, element: str, value: str) -> str:
    from engine.definitions.bpmn import ProcessSource
    from tests.diagrams import FORM, REMINDER, gateway_process

    bpmn = gateway_process(extra=REMINDER.format(element=element, value=value))
    engine.deployer.deploy([ProcessSource("gated", "gated.bpmn", bpmn, {"check.json": FORM})])
    return engine.starter.start("gated", "R-1", {}).instance_id


def test_a_cycle_timer_fires_each_cycle_on_time(engine, orders):
    instance_id = _deploy_with_reminder(engine, "timeCycle", '"R3/PT10M"')

    def reminder_firings():
        return [e.detail["due_at"] for e in orders.events(instance_id, "timer_fired")
                if e.detail["timer"] == "reminder"]

    orders.tick(timedelta(minutes=10) - SECOND)
    assert reminder_firings() == []
    for cycle in (1, 2, 3):
        orders.tick(2 * SECOND)
        assert len(reminder_firings()) == cycle
        orders.tick(timedelta(minutes=10) - 2 * SECOND)
    orders.tick(timedelta(hours=1))
    assert reminder_firings() == [
        "2026-03-02T08:10:00+00:00", "2026-03-02T08:20:00+00:00", "2026-03-02T08:30:00+00:00"]
    assert [t.state for t in engine.reads.timers(instance_id) if t.element_id == "reminder"] == [
        "fired"]


def test_a_time_date_with_an_offset_fires_at_that_instant(engine, orders):
    instance_id = _deploy_with_reminder(engine, "timeDate", '"2026-03-02T17:00:00+08:00"')
    [reminder] = [t for t in engine.reads.timers(instance_id) if t.element_id == "reminder"]
    assert reminder.due_at.isoformat() == "2026-03-02T09:00:00+00:00"
    orders.tick(timedelta(hours=1) + SECOND)
    assert [e.detail["timer"] for e in orders.events(instance_id, "timer_fired")
            if e.detail["timer"] == "reminder"] == ["reminder"]


def test_a_time_date_without_a_zone_is_refused_at_deploy(engine):
    import pytest

    from engine.definitions.bpmn import DefinitionInvalid

    with pytest.raises(DefinitionInvalid, match="has no time zone"):
        _deploy_with_reminder(engine, "timeDate", '"2026-03-02T17:00:00"')


def test_an_order_from_before_transfers_keeps_its_department_time(orders, engine):
    """Orders running when department totals were kept per lane (one number per lane,
    lapses by lane) go on: the time counts for the lane's department."""
    import json

    from sqlalchemy import update

    from engine.store.models import ProcessInstance

    instance_id = orders.start("one_department")
    orders.tick(timedelta(minutes=20))
    orders.complete(instance_id, "dispatch")
    state = json.loads(engine.reads.get_instance(instance_id).state)
    assert state["data"]["department_seconds"] == {"Acceptance": {"front_desk": 1200.0}}
    state["data"]["department_seconds"] = {"Acceptance": 1200.0}
    state["data"]["lapsed_department_lanes"] = []
    with engine.sessions() as session, session.begin():
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(state=json.dumps(state)))
    orders.complete(instance_id, "handle")
    orders.complete(instance_id, "return_result")
    # Acceptance total 1 h 30: 20 minutes used, so audit's department timer is at 70.
    [timer] = [t for t in engine.reads.timers(instance_id, state="pending")
               if t.kind == "department"]
    assert timer.due_at == orders.clock.now() + timedelta(minutes=70)
    orders.complete(instance_id, "audit")
    orders.complete(instance_id, "feedback")
    data = json.loads(engine.reads.get_instance(instance_id).state)["data"]
    assert data["department_seconds"]["Acceptance"] == {"front_desk": 1200.0}
