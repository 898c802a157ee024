"""Timeliness: how long stages took against their limits, grouped by department, stage,
flow or category; and each department's on-time rate day by day.

Only work orders count: the stages of an instance with no work order (a designer's test
process started through the generic engine API) are in none of the figures.

A stage counts as completed in a window [from, to) when it was completed inside it; it
was on time when completed no later than its due time (the limit that applied to that
order). The on-time rate divides by the stages completed with a limit. Stages opened
before `to` and not completed by then are reported apart, as open at `to`, with those
already past their limit by then (or by now, for a window that has not ended).

Counting is done by the database; only the durations, for the percentiles, come back
row by row (streamed).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from itertools import chain
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.reports.stats import percentile, ratio
from engine.store.models import HumanTask, ProcessInstance, TimelineEvent
from engine.workorders.confinement import has_work_order
from engine.workorders.models import WorkOrder
from engine.workorders.service import TRANSFERRED, URGED

GROUPINGS = ("department", "stage", "flow", "category", "city")
NO_CITY = "(unknown)"  # orders whose customer's home city is not known
# Order events counted per order: urges the holders received, transfers a stage made.
STREAM_ROWS = 5000


def _group_key(group_by: str):
    return {"department": HumanTask.department, "stage": HumanTask.stage,
            "flow": HumanTask.definition_key,
            "category": WorkOrder.category,
            "city": func.coalesce(WorkOrder.city, NO_CITY)}[group_by]


def timeliness(session: Session, start: datetime, end: datetime, group_by: str,
               now: datetime, names: Callable[[str, str], str]) -> dict[str, Any]:
    """The report: a row per group and a total. `names(group_by, key)` labels a group."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by is one of {', '.join(GROUPINGS)}")
    key = _group_key(group_by)
    completed = and_(HumanTask.state == "completed", HumanTask.completed_at >= start,
                     HumanTask.completed_at < end)
    # Each term on its own index (state, completed_at; state first): the databases
    # then read only the window, not every stage ever.
    open_at_end = or_(
        and_(HumanTask.state == "open", HumanTask.created_at < end),
        and_(HumanTask.state == "completed", HumanTask.completed_at >= end,
             HumanTask.created_at < end))
    overdue_by = min(end, now)

    def counted(condition) -> Any:
        return func.sum(case((condition, 1), else_=0))

    figures = [
        func.count(func.distinct(HumanTask.instance_id)),
        counted(completed),
        counted(and_(completed, HumanTask.due_at.is_not(None),
                     HumanTask.completed_at <= HumanTask.due_at)),
        counted(and_(completed, HumanTask.due_at.is_not(None),
                     HumanTask.completed_at > HumanTask.due_at)),
        counted(and_(completed, HumanTask.due_at.is_(None))),
        counted(open_at_end),
        # A paused stage's clock stands still: not overdue while paused.
        counted(and_(open_at_end, HumanTask.due_at < overdue_by,
                     HumanTask.paused_at.is_(None))),
    ]
    base = (select().select_from(HumanTask)
            .join(WorkOrder, WorkOrder.instance_id == HumanTask.instance_id)
            .where(or_(completed, open_at_end)))
    rows = {group: _row(group, names(group_by, group) or group, *values)
            for group, *values in session.execute(base.add_columns(key, *figures)
                                                  .group_by(key))}
    total = _row("total", "All", *session.execute(base.add_columns(*figures)).one())
    _add_percentiles(session, key, completed, rows, total)
    _add_events(session, group_by, start, end, rows, total)
    return {"from": start, "to": end, "group_by": group_by,
            "groups": [rows[group] for group in sorted(rows)], "total": total}


def _row(group: str, name: str, orders, completed, on_time, breached, without_limit, open_,
         open_overdue) -> dict[str, Any]:
    return {"group": group, "name": name, "orders": orders or 0,
            "stages_completed": completed or 0, "on_time": on_time or 0,
            "breached": breached or 0, "without_limit": without_limit or 0,
            "on_time_rate": ratio(on_time or 0, (on_time or 0) + (breached or 0)),
            "open": open_ or 0, "open_overdue": open_overdue or 0,
            "urges": 0, "transfers": 0}


def _add_percentiles(session: Session, key, completed, rows: dict, total: dict) -> None:
    seconds: dict[str, list[float]] = defaultdict(list)
    query = (select(key, HumanTask.created_at, HumanTask.completed_at)
             .select_from(HumanTask)
             .join(WorkOrder, WorkOrder.instance_id == HumanTask.instance_id)
             .where(completed).execution_options(yield_per=STREAM_ROWS))
    for group, opened, closed in session.execute(query):
        seconds[group].append((closed - opened).total_seconds())
    everything = sorted(chain.from_iterable(seconds.values()))
    for group, row in [*rows.items(), ("total", total)]:
        values = everything if row is total else sorted(seconds.get(group, []))
        for share in (50, 90, 95):
            row[f"duration_p{share}"] = percentile(values, share / 100)


def _add_events(session: Session, group_by: str, start: datetime, end: datetime,
                rows: dict, total: dict) -> None:
    """Urges per order count for the departments (stages) that received them, transfers
    for the one that made them; by flow or category, for the order's own."""
    query = (select(TimelineEvent.type, TimelineEvent.stage, TimelineEvent.department,
                    TimelineEvent.detail, ProcessInstance.definition_key, WorkOrder.category)
             .join(ProcessInstance, ProcessInstance.id == TimelineEvent.instance_id)
             .join(WorkOrder, WorkOrder.instance_id == TimelineEvent.instance_id)
             .where(TimelineEvent.type.in_((URGED, TRANSFERRED)), TimelineEvent.at >= start,
                    TimelineEvent.at < end))
    for kind, stage, department, detail, flow, category in session.execute(query):
        counter = "urges" if kind == URGED else "transfers"
        total[counter] += 1
        detail = detail or {}
        groups = {
            "department": detail.get("to_departments", []) if kind == URGED else [department],
            "stage": detail.get("to_stages", []) if kind == URGED else [stage],
            "flow": [flow], "category": [category],
        }[group_by]
        for group in groups:
            if group in rows:
                rows[group][counter] += 1
    for row in [*rows.values(), total]:
        row["urges_per_order"] = ratio(row.pop("urges"), row["orders"])
        row["transfers_per_order"] = ratio(row.pop("transfers"), row["orders"])


def daily_on_time(session: Session, start: datetime, end: datetime,
                  zone: tzinfo) -> dict[str, list[tuple[date, float | None, int]]]:
    """Per department, per local day of [start, end): (day, on-time rate, stages
    completed with a limit that day)."""
    days, day = [], start.astimezone(zone).date()
    while datetime(day.year, day.month, day.day, tzinfo=zone) < end:
        days.append(day)
        day += timedelta(days=1)
    counts: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    query = (select(HumanTask.department, HumanTask.completed_at, HumanTask.due_at)
             .where(HumanTask.state == "completed", HumanTask.completed_at >= start,
                    HumanTask.completed_at < end, HumanTask.due_at.is_not(None),
                    has_work_order(HumanTask.instance_id))
             .execution_options(yield_per=STREAM_ROWS))
    for department, completed_at, due_at in session.execute(query):
        assert completed_at is not None and due_at is not None  # the query's condition
        tally = counts[department][completed_at.astimezone(zone).date()]
        tally[0] += completed_at <= due_at
        tally[1] += 1
    return {department: [(d, ratio(*by_day[d]) if d in by_day else None,
                          by_day[d][1] if d in by_day else 0) for d in days]
            for department, by_day in sorted(counts.items())}
