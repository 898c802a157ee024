"""Timeliness: how long stages took against their limits, grouped by department, stage,
flow or category; and each department's on-time rate day by day.

A stage counts in a window when it was completed inside it; it was on time when it was
completed no later than its due time (the limit that applied to that order). The
on-time rate divides by the stages completed with a limit: open stages are reported
apart (open now, and how many of those are already past their limit).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..models import HumanTask, TimelineEvent, WorkOrder
from .stats import percentile, ratio

GROUPINGS = ("department", "stage", "flow", "category")
NO_CATEGORY = "(none)"  # an order started without intake has no category
# Order events counted per order: urges the holders received, transfers a stage made.
URGED, TRANSFERRED = "urged", "transferred"


@dataclass(frozen=True)
class StageRow:
    instance_id: str
    flow: str
    stage: str
    stage_name: str
    department: str
    state: str
    opened_at: datetime
    completed_at: datetime | None
    due_at: datetime | None
    category: str | None

    @property
    def seconds(self) -> float | None:
        if self.completed_at is None:
            return None
        return (self.completed_at - self.opened_at).total_seconds()

    @property
    def on_time(self) -> bool | None:
        """None for a stage without a limit or not completed."""
        if self.completed_at is None or self.due_at is None:
            return None
        return self.completed_at <= self.due_at


@dataclass
class GroupStats:
    key: str
    name: str
    orders: set[str] = field(default_factory=set)
    seconds: list[float] = field(default_factory=list)
    on_time: int = 0
    breached: int = 0
    without_limit: int = 0
    open: int = 0
    open_overdue: int = 0
    urges: int = 0
    transfers: int = 0

    def add(self, row: StageRow, now: datetime) -> None:
        self.orders.add(row.instance_id)
        if row.state == "open":
            self.open += 1
            if row.due_at is not None and row.due_at < now:
                self.open_overdue += 1
            return
        self.seconds.append(row.seconds)
        verdict = row.on_time
        if verdict is None:
            self.without_limit += 1
        elif verdict:
            self.on_time += 1
        else:
            self.breached += 1

    def as_dict(self) -> dict[str, Any]:
        completed = len(self.seconds)
        orders = len(self.orders)
        return {
            "group": self.key, "name": self.name, "orders": orders,
            "stages_completed": completed, "on_time": self.on_time,
            "breached": self.breached, "without_limit": self.without_limit,
            "on_time_rate": ratio(self.on_time, self.on_time + self.breached),
            "open": self.open, "open_overdue": self.open_overdue,
            "duration_p50": percentile(self.seconds, 0.50),
            "duration_p90": percentile(self.seconds, 0.90),
            "duration_p95": percentile(self.seconds, 0.95),
            "urges_per_order": ratio(self.urges, orders),
            "transfers_per_order": ratio(self.transfers, orders),
        }


def stage_rows(session: Session, start: datetime, end: datetime) -> list[StageRow]:
    """Stages completed in [start, end), and stages open now that opened before end."""
    query = (
        select(HumanTask.instance_id, HumanTask.definition_key, HumanTask.stage,
               HumanTask.stage_name, HumanTask.department, HumanTask.state,
               HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at,
               WorkOrder.category)
        .outerjoin(WorkOrder, WorkOrder.instance_id == HumanTask.instance_id)
        .where(or_(
            and_(HumanTask.state == "completed", HumanTask.completed_at >= start,
                 HumanTask.completed_at < end),
            and_(HumanTask.state == "open", HumanTask.created_at < end)))
        .order_by(HumanTask.created_at, HumanTask.id)
    )
    return [StageRow(*row) for row in session.execute(query)]


def timeliness(session: Session, start: datetime, end: datetime, group_by: str,
               now: datetime, names: Callable[[str, str], str]) -> dict[str, Any]:
    """The report: a row per group and a total. `names(group_by, key)` labels a group."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by is one of {', '.join(GROUPINGS)}")
    rows = stage_rows(session, start, end)
    events = list(session.execute(
        select(TimelineEvent.instance_id, TimelineEvent.type, TimelineEvent.stage,
               TimelineEvent.department, TimelineEvent.detail)
        .where(TimelineEvent.type.in_((URGED, TRANSFERRED)), TimelineEvent.at >= start,
               TimelineEvent.at < end)))
    key_of = _KEYS[group_by]
    groups: dict[str, GroupStats] = {}
    total = GroupStats("total", "All")
    for row in rows:
        key = key_of(row)
        group = groups.setdefault(key, GroupStats(key, names(group_by, key) or key))
        group.add(row, now)
        total.add(row, now)
    order_keys = _order_keys(rows, key_of)
    for instance_id, kind, stage, department, detail in events:
        counted = "urges" if kind == URGED else "transfers"
        if instance_id in total.orders:
            setattr(total, counted, getattr(total, counted) + 1)
        for key in _event_keys(group_by, kind, stage, department, detail or {},
                               order_keys.get(instance_id, set())):
            group = groups.get(key)
            if group is not None and instance_id in group.orders:
                setattr(group, counted, getattr(group, counted) + 1)
    return {"from": start, "to": end, "group_by": group_by,
            "groups": [groups[key].as_dict() for key in sorted(groups)],
            "total": total.as_dict()}


def daily_on_time(session: Session, start: datetime, end: datetime,
                  zone: tzinfo) -> dict[str, list[tuple[date, float | None, int]]]:
    """Per department, per local day of [start, end): (day, on-time rate, stages
    completed with a limit that day)."""
    days: list[date] = []
    day = start.astimezone(zone).date()
    while datetime.combine(day, datetime.min.time(), zone) < end:
        days.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    counts: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in stage_rows(session, start, end):
        if row.state != "completed" or row.on_time is None:
            continue
        tally = counts[row.department][row.completed_at.astimezone(zone).date()]
        tally[0] += row.on_time
        tally[1] += 1
    return {department: [(d, ratio(*by_day[d]) if d in by_day else None,
                          by_day[d][1] if d in by_day else 0) for d in days]
            for department, by_day in sorted(counts.items())}


_KEYS: dict[str, Callable[[StageRow], str]] = {
    "department": lambda row: row.department,
    "stage": lambda row: row.stage,
    "flow": lambda row: row.flow,
    "category": lambda row: row.category or NO_CATEGORY,
}


def _order_keys(rows: Iterable[StageRow], key_of) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        keys[row.instance_id].add(key_of(row))
    return keys


def _event_keys(group_by: str, kind: str, stage: str | None, department: str | None,
                detail: dict, order_keys: set[str]) -> Iterable[str]:
    """The groups an urge or a transfer counts for: a department the urges it received
    and the transfers it made, a stage likewise; a flow or category its orders' own."""
    if group_by == "department":
        return detail.get("to_departments", []) if kind == URGED else [department]
    if group_by == "stage":
        return detail.get("to_stages", []) if kind == URGED else [stage]
    return order_keys
