"""The instance's own deadline (an order deadline, 工单时限): from its start to its end,
whatever stage holds it. Its length is the `order_limit` variable (an ISO 8601 duration,
from the start decision: the service level); an instance without one has no deadline.

At start a timer row of kind "deadline" is written, with the escalation ladder's rungs for
limit_kind "order" as rung rows of no stage. Passing the deadline records
`order_overdue`; each rung tells its recipients (lanes such as `acceptance`, management).
At the end the row is marked "met" unless it fired; a diagram may end it earlier, when a
task completes (its start event's property `deadlineSettledBy`: a task id, such as the
stage that replies to the customer, before a later call-back stage). While a stage is
paused the deadline and its rungs stand still too (engine/runtime/pausing.py moves them
on).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.definitions.bpmn import SETTLED_BY_PROPERTY, start_property
from engine.reference.directory import Directory
from engine.runtime.ladder import RUNG, Ladder
from engine.runtime.ladder_table import ORDER_KIND, rung_due
from engine.runtime.notifications import Audience, lane_departments, notify, recipients
from engine.runtime.sandbox import format_duration, parse_duration
from engine.runtime.step import Step, iso
from engine.store.models import Timer

DEADLINE = "deadline"  # Timer.kind
LIMIT_VARIABLE = "order_limit"
OVERDUE = "order_overdue"  # the timeline entry when the deadline passes
MET = "met"  # Timer.state of a deadline the instance ended within
STOPPED = "paused"  # Timer.state while a stage's pause stops the deadline


def is_deadline_row(row: Timer) -> bool:
    """The deadline's own row, or one of its rungs (a rung of no stage)."""
    return row.kind == DEADLINE or (row.kind == RUNG and row.task_id is None)


class Deadline:
    def __init__(self, ladder: Ladder, directory: Directory | None) -> None:
        self.ladder = ladder
        self.directory = directory

    def schedule(self, step: Step, variables: dict[str, Any]) -> None:
        """Write the deadline and its rungs for an instance that starts now."""
        text = variables.get(LIMIT_VARIABLE)
        if not isinstance(text, str):
            return
        limit = parse_duration(text)
        applied = text if len(text) <= 50 else format_duration(limit)  # as the table says
        step.add_timer_row(Timer(
            id=str(uuid4()), instance_id=step.instance.id, kind=DEADLINE,
            element_id=LIMIT_VARIABLE, due_at=step.now + limit, applied_limit=applied,
            state="pending", detail={"limit_kind": ORDER_KIND}))
        for rung in self.ladder.rungs(step.session).get(ORDER_KIND, []):
            due = rung_due(rung, step.now, limit)
            if due is not None:
                step.add_timer_row(Timer(
                    id=str(uuid4()), instance_id=step.instance.id, kind=RUNG,
                    element_id=rung.name, due_at=due, applied_limit=applied, state="pending",
                    detail={"percent": rung.percent, "limit_kind": ORDER_KIND,
                            "notify": list(rung.notify)}))

    def sync(self, step: Step, rows: list[Timer]) -> None:
        """Fire the deadline rows due by now; at the end, the deadline is met or not."""
        for row in rows:
            if row.due_at < step.now:
                self._fire(step, row)
        if rows and (step.workflow.is_completed() or _settling_task_completed(step)):
            for row in rows:
                if row.state == "pending":
                    row.state = MET if row.kind == DEADLINE else "cancelled"
                    row.fired_at = step.now if row.kind == DEADLINE else None
                    row.lease_owner = row.lease_expires_at = None

    def _fire(self, step: Step, row: Timer) -> None:
        row.state, row.fired_at = "fired", step.now
        row.lease_owner = row.lease_expires_at = None
        step.timers_fired += 1
        if row.kind == DEADLINE:
            overdue = {"limit": row.applied_limit, "due_at": iso(row.due_at),
                       "holders": list(step.holders)}
            step.record(OVERDUE, actor=step.timer_actor, detail=overdue)
            step.publish(OVERDUE, **overdue)
            return
        detail = {"rung": row.element_id, **(row.detail or {}), "limit": row.applied_limit,
                  "due_at": iso(row.due_at)}
        lanes = lane_departments(step.parsed.lanes, step.instance.variables)
        told = recipients(detail.pop("notify", []), Audience(None, lanes, tuple(step.holders)),
                          self.directory)
        detail["notified"] = told
        step.record("escalated", actor=step.timer_actor, detail=detail)
        step.publish("escalated", **detail)  # limit_kind "order", from the row
        hold = self.ladder.holding.for_event(row.element_id, step.instance.variables,
                                             step.now)
        notify(step.session, step.instance, told, event=row.element_id, now=step.now,
               detail=detail, hold=hold, message=(
                   f"Order {step.instance.business_key} has passed {detail['percent']:g}% "
                   f"of its order deadline ({row.applied_limit}): {row.element_id}"))

    @staticmethod
    def stop(step: Step) -> None:
        """Stand the deadline still (a stage was paused), unless it already is."""
        for row in step.pending_timer_rows():
            if is_deadline_row(row):
                row.state = STOPPED
                row.detail = {**(row.detail or {}), "stopped_at": iso(step.now)}

    @staticmethod
    def restart(step: Step) -> None:
        """Move the stood-still deadline and rungs on by the time they stood still."""
        for row in step.session.scalars(select(Timer).where(
                Timer.instance_id == step.instance.id, Timer.state == STOPPED)):
            if not is_deadline_row(row):
                continue
            detail = dict(row.detail or {})
            since = datetime.fromisoformat(detail.pop("stopped_at", iso(step.now)) or "")
            row.due_at = utc(row.due_at) + (step.now - since)
            row.detail, row.state = detail, "pending"
            step.add_timer_row(row)


def _settling_task_completed(step: Step) -> bool:
    """Whether the task the diagram names as ending the deadline has completed (seen in
    the step it completes in: finished history is pruned when the step saves)."""
    task_id = start_property(step.parsed, SETTLED_BY_PROPERTY)
    if not task_id:
        return False
    return any(task.task_spec.bpmn_id == task_id
               for task in step.workflow.get_tasks(state=TaskState.COMPLETED))


def deadline_of(session: Session, instance_id: str, now: datetime) -> dict[str, Any] | None:
    """The instance's deadline as it stands: limit, due time, state and time left (which
    stands still while paused); None without one."""
    row = session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                              Timer.kind == DEADLINE)).first()
    if row is None:
        return None
    due = utc(row.due_at)
    stopped = (row.detail or {}).get("stopped_at")
    moment = datetime.fromisoformat(stopped) if row.state == STOPPED and stopped else now
    left = None if row.state in (MET, "fired", "cancelled") else (due - moment).total_seconds()
    return {"limit": row.applied_limit, "due_at": due, "state": row.state,
            "seconds_remaining": left, "paused": row.state == STOPPED,
            "met": {MET: True, "fired": False}.get(row.state),
            "settled_at": utc(row.fired_at) if row.fired_at else None}

