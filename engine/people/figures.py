"""Per-handler figures (人均生产能力): for each staff member who completed work-order
stages in a window, the orders and stages handled, the on-time rate (stages completed
by their due time / stages that had one), the median handling time (a stage's opening
to its completion, seconds), and first-contact resolutions: the orders they worked on
that closed without ever being transferred, sent back, rejected at audit or referred
to a supervisor."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.people.models import Staff
from engine.process_engine import ProcessEngine
from engine.reports.stats import percentile, ratio
from engine.store.models import HumanTask, ProcessInstance, TimelineEvent
from engine.workorders.confinement import has_work_order
from engine.workorders.following import COUNTED_EVENTS

# The order events that mean an order was not resolved where it first arrived.
BOUNCES = tuple(event for name, event in COUNTED_EVENTS.items() if name != "urges")


def handler_figures(session: Session, start: datetime, end: datetime,
                    department: str | None = None) -> list[dict[str, Any]]:
    """One row per staff member, by staff id; stages of `department` only, if given."""
    query = (select(HumanTask.completed_by, HumanTask.instance_id, HumanTask.department,
                    HumanTask.created_at, HumanTask.due_at, HumanTask.completed_at)
             .join(Staff, Staff.staff_id == HumanTask.completed_by)
             .where(HumanTask.state == "completed", HumanTask.completed_at >= start,
                    HumanTask.completed_at < end, has_work_order(HumanTask.instance_id)))
    if department is not None:
        query = query.where(HumanTask.department == department)
    stages: dict[str, list] = defaultdict(list)
    for row in session.execute(query):
        stages[row.completed_by].append(row)
    query_names = select(Staff.staff_id, Staff.name).where(
        Staff.staff_id.in_(sorted(stages)))
    names = {staff_id: name for staff_id, name in session.execute(query_names)}
    resolved = _resolved_first_time(session, {row.instance_id for rows in stages.values()
                                              for row in rows})
    return [_row(staff_id, names.get(staff_id, staff_id), rows, resolved)
            for staff_id, rows in sorted(stages.items())]


def _resolved_first_time(session: Session, instance_ids: set[str]) -> set[str]:
    """Those of the instances that closed with none of the BOUNCES on their timeline."""
    if not instance_ids:
        return set()
    closed = set(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.id.in_(sorted(instance_ids)), ProcessInstance.status == "completed")))
    bounced = set(session.scalars(select(TimelineEvent.instance_id).where(
        TimelineEvent.instance_id.in_(sorted(closed)),
        TimelineEvent.type.in_(BOUNCES)).distinct())) if closed else set()
    return closed - bounced


def _row(staff_id: str, name: str, rows: list, resolved: set[str]) -> dict[str, Any]:
    with_limit = [row for row in rows if row.due_at is not None]
    on_time = sum(1 for row in with_limit if row.completed_at <= row.due_at)
    durations = sorted((row.completed_at - row.created_at).total_seconds() for row in rows)
    orders = {row.instance_id for row in rows}
    return {
        "staff_id": staff_id,
        "name": name,
        "departments": sorted({row.department for row in rows}),
        "orders": len(orders),
        "first_contact_resolutions": len(orders & resolved),
        "stages": len(rows),
        "on_time": on_time,
        "with_limit": len(with_limit),
        "on_time_rate": ratio(on_time, len(with_limit)),
        "median_handling_seconds": percentile(durations, 0.5),
    }


def handlers_report(engine: ProcessEngine, start: datetime, end: datetime,
                    department: str | None = None) -> list[dict[str, Any]]:
    """handler_figures in a read-only session of its own."""
    with engine.reading() as session:
        return handler_figures(session, start, end, department)
