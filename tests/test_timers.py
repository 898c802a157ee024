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

    # Feedback: its own limit is 1 h; the acceptance total (1 h 15) has 65 min left.
    orders.tick(timedelta(hours=1) + SECOND)
    assert [e.stage for e in orders.events(instance_id, "stage_overdue")] == ["feedback"]
    orders.tick(timedelta(minutes=5) - 2 * SECOND)
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
    timers = engine.timers(instance_id)
    assert timers and {t.state for t in timers} == {"cancelled"}


def test_a_limit_passed_before_completion_is_recorded_even_if_no_worker_ran(orders):
    instance_id = orders.start("one_department")
    orders.clock.advance(timedelta(minutes=20))  # no worker runs
    orders.complete(instance_id, "dispatch")
    types = [e.type for e in orders.events(instance_id)]
    assert types.index("stage_overdue") < types.index("completed")


def test_a_timer_fires_once_however_often_the_worker_runs(orders):
    instance_id = orders.start("one_department")
    assert orders.tick(timedelta(minutes=15) + SECOND) == 1
    assert orders.tick(SECOND) == 0
    assert orders.tick(timedelta(minutes=1)) == 0
    assert len(orders.events(instance_id, "stage_overdue")) == 1


def test_department_lapse_is_recorded_once_per_department(orders):
    """Acceptance runs out of its total at dispatch; feedback later adds no second lapse."""
    instance_id = orders.start("one_department")
    orders.tick(timedelta(hours=1, minutes=16))
    orders.complete(instance_id, "dispatch")
    orders.complete(instance_id, "handle")
    orders.complete(instance_id, "return_result")
    orders.tick(timedelta(minutes=1))
    orders.complete(instance_id, "feedback")
    lapses = orders.events(instance_id, "department_overdue")
    assert [(e.stage, e.department) for e in lapses] == [("dispatch", "front_desk")]


def test_overdue_events_are_queued_for_notification(orders, engine):
    from sqlalchemy import select

    from engine.models import OutboxEvent

    instance_id = orders.start("one_department")
    orders.tick(timedelta(minutes=15) + SECOND)
    with engine.sessions() as session:
        outbox = session.scalars(select(OutboxEvent).where(
            OutboxEvent.instance_id == instance_id)).all()
    assert [(o.type, o.payload["stage"], o.payload["department"]) for o in outbox] == [
        ("stage_overdue", "dispatch", "front_desk")]


def _iso(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
