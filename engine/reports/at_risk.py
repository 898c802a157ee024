"""Stages at risk: open stages of work orders that have used at least a given share of
their limit (the ladder's first rung by default, 75 %), and those already past it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from engine.store.models import HumanTask, UtcDateTime
from engine.store.queries import Page, paginate
from engine.workorders.confinement import has_work_order

# How the list may be sorted (a leading "-" sorts descending).
SORTS = ("due_at", "-due_at", "percent", "-percent", "opened_at", "-opened_at",
         "department", "-department")


class epoch_seconds(FunctionElement):  # named like the SQL function it stands for
    """Seconds since 1970 of a timestamp, on SQLite (stored as UTC text) and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds)
def _epoch_default(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@dataclass(frozen=True)
class AtRiskStage:
    task: HumanTask
    now: datetime

    @property
    def due_at(self) -> datetime:
        """Only stages with a limit can be at risk (the query's condition)."""
        assert self.task.due_at is not None
        return self.task.due_at

    @property
    def limit_seconds(self) -> float:
        return (self.due_at - self.task.created_at).total_seconds()

    @property
    def percent_used(self) -> float:
        used = (self.now - self.task.created_at).total_seconds()
        return round(100 * used / self.limit_seconds, 1) if self.limit_seconds else 100.0

    @property
    def seconds_left(self) -> float:
        """Negative: how long past its limit."""
        return (self.due_at - self.now).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        task = self.task
        return {
            "business_key": task.business_key, "instance_id": task.instance_id,
            "task_id": task.id, "flow": task.definition_key, "stage": task.stage,
            "stage_name": task.stage_name, "department": task.department,
            "assignee": task.assignee, "opened_at": task.created_at,
            "stage_limit": task.stage_limit, "due_at": task.due_at,
            "percent_used": self.percent_used, "seconds_left": self.seconds_left,
            "status": "breached" if self.seconds_left < 0 else "at_risk",
        }


def at_risk(session: Session, now: datetime, threshold_percent: float, *,
            department: str | None = None, status: str | None = None,
            sort: str = "due_at", page: int = 1,
            per_page: int | None = 50) -> Page[AtRiskStage]:
    """Open stages of work orders past `threshold_percent` of their limit (`status`
    "breached": past the whole limit; "at_risk": not yet), sorted by `sort`; every one
    if `per_page` is None."""
    opened = epoch_seconds(HumanTask.created_at)
    limit = func.nullif(epoch_seconds(HumanTask.due_at) - opened, 0)  # a zero limit: no share
    used = epoch_seconds(literal(now, UtcDateTime())) - opened
    query = select(HumanTask).where(
        HumanTask.state == "open", HumanTask.due_at.is_not(None),
        has_work_order(HumanTask.instance_id),
        or_(HumanTask.due_at < now, used >= limit * (threshold_percent / 100)))
    if department is not None:
        query = query.where(HumanTask.department == department)
    if status == "breached":
        query = query.where(HumanTask.due_at < now)
    elif status == "at_risk":
        query = query.where(HumanTask.due_at >= now)
    columns = {"due_at": HumanTask.due_at, "opened_at": HumanTask.created_at,
               "department": HumanTask.department, "percent": used / limit}
    column = columns[sort.lstrip("-")]
    query = query.order_by(column.desc() if sort.startswith("-") else column, HumanTask.id)
    if per_page is None:
        items = [AtRiskStage(task, now) for task in session.scalars(query)]
        return Page(items, len(items), 1, max(len(items), 1))
    found = paginate(session, query, page, per_page)
    return Page([AtRiskStage(task, now) for task in found.items], found.total, found.page,
                found.per_page)
