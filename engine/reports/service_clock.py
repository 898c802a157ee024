"""Order-level timeliness (the order deadline, 工单时限) and paused time, per acceptance
department: of the orders closed in the window, how many closed within their deadline;
and how long their stages stood paused (their on-time figures are already net of it:
a pause moves every due time on)."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.runtime.deadline import DEADLINE, MET
from engine.store.models import HumanTask, ProcessInstance, Timer
from engine.workorders.models import WorkOrder


def order_deadlines(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    closed = select(WorkOrder.acceptance_department, Timer.state).join(
        ProcessInstance, ProcessInstance.id == WorkOrder.instance_id).join(
        Timer, (Timer.instance_id == WorkOrder.instance_id) & (Timer.kind == DEADLINE)).where(
        ProcessInstance.ended_at >= start, ProcessInstance.ended_at < end)
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"closed": 0, "met": 0,
                                                              "missed": 0})
    for department, state in session.execute(closed):
        group = groups[department]
        group["closed"] += 1
        group["met" if state == MET else "missed"] += 1
    paused = {department: seconds for department, seconds in session.execute(
        select(WorkOrder.acceptance_department,
               func.coalesce(func.sum(HumanTask.paused_seconds), 0.0))
        .join(ProcessInstance, ProcessInstance.id == WorkOrder.instance_id)
        .join(HumanTask, HumanTask.instance_id == WorkOrder.instance_id)
        .where(ProcessInstance.ended_at >= start, ProcessInstance.ended_at < end)
        .group_by(WorkOrder.acceptance_department))}
    rows = [_row(department, figures, float(paused.get(department) or 0.0))
            for department, figures in sorted(groups.items())]
    total = _row("total", {key: sum(row[key] for row in rows)
                           for key in ("closed", "met", "missed")},
                 sum(row["paused_seconds"] for row in rows))
    return {"from": start, "to": end, "groups": rows, "total": total}


def _row(name: str, figures: dict[str, Any], paused_seconds: float) -> dict[str, Any]:
    closed = figures["closed"]
    return {"acceptance_department": name, **figures,
            "on_time_rate": figures["met"] / closed if closed else None,
            "paused_seconds": paused_seconds}
