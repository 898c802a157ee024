"""Satisfaction and reopening, from what the forms recorded on the timeline: the
feedback stage (customer_reached, satisfaction), the return visit (visit_reached,
visit_resolved, visit_satisfaction), the audit's optional rating of the processing
department's reply (reply_rating, 1-5, 回复满意度) and the `reopened` events a return
visit causes. Grouped by the order's processing department, its acceptance department
or its category; every rate beside the counts it is computed from.

- feedback_satisfaction_rate = satisfied / rated, where rated are the feedbacks of a
  reached customer saying satisfied, neutral or dissatisfied (unknown is not rated);
- visit_satisfaction_rate likewise for return visits; visit_resolved_rate = resolved /
  reached visits;
- reopen_rate = orders reopened in the window / orders fed back in the window;
- reply_rating_average: the mean of the audit ratings.
Events count in the window they happened in.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import ProcessInstance, TimelineEvent
from engine.workorders.models import WorkOrder

GROUPINGS = ("department", "acceptance_department", "category")
RATED = ("satisfied", "neutral", "dissatisfied")
REOPENED = "reopened"  # the escalation code the flows throw when a return visit reopens
UNASSIGNED = "(none)"
CHUNK = 500


# The counts of a group, in the order the report gives them.
COUNTS = ("feedbacks", "feedback_reached", "feedback_rated", "feedback_satisfied",
          "feedback_dissatisfied", "visits", "visits_reached", "visits_resolved",
          "visits_rated", "visits_satisfied", "visits_dissatisfied", "reopens",
          "reply_ratings")


@dataclass
class _Figures:
    counts: Counter[str] = field(default_factory=Counter)
    reply_rating_sum: int = 0
    fed_back: set[str] = field(default_factory=set)
    reopened: set[str] = field(default_factory=set)

    def add(self, kind: str, data: dict[str, Any], number: str) -> None:
        counts = self.counts
        if kind == "feedback":
            counts["feedbacks"] += 1
            self.fed_back.add(number)
            if data.get("customer_reached") is True:
                counts["feedback_reached"] += 1
                self._rated("feedback", data.get("satisfaction"))
        elif kind == "visit":
            counts["visits"] += 1
            if data.get("visit_reached") is True:
                counts["visits_reached"] += 1
                counts["visits_resolved"] += data.get("visit_resolved") is True
                self._rated("visits", data.get("visit_satisfaction"))
        elif kind == "reply":
            counts["reply_ratings"] += 1
            self.reply_rating_sum += int(data["reply_rating"])
        elif kind == REOPENED:
            counts["reopens"] += 1
            self.reopened.add(number)

    def _rated(self, prefix: str, value: Any) -> None:
        if value in RATED:
            self.counts[f"{prefix}_rated"] += 1
        if value in ("satisfied", "dissatisfied"):
            self.counts[f"{prefix}_{value}"] += 1

    def as_dict(self) -> dict[str, Any]:
        counts = self.counts
        return {
            **{name: counts[name] for name in COUNTS},
            "feedback_satisfaction_rate": _rate(counts["feedback_satisfied"],
                                                counts["feedback_rated"]),
            "visit_satisfaction_rate": _rate(counts["visits_satisfied"],
                                             counts["visits_rated"]),
            "visit_resolved_rate": _rate(counts["visits_resolved"], counts["visits_reached"]),
            "orders_fed_back": len(self.fed_back),
            "orders_reopened": len(self.reopened),
            "reopen_rate": _rate(len(self.reopened), len(self.fed_back)),
            "reply_rating_average": (round(self.reply_rating_sum / counts["reply_ratings"], 4)
                                     if counts["reply_ratings"] else None),
        }


def satisfaction(session: Session, start: datetime, end: datetime, group_by: str,
                 department: str | None = None,
                 name: Callable[[str, str], str] = lambda group_by, key: key) -> dict[str, Any]:
    """The figures per group over [start, end); with `department`, only the orders it
    processed or accepted."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    rows = session.execute(
        select(TimelineEvent.type, TimelineEvent.detail, WorkOrder.number,
               WorkOrder.instance_id, WorkOrder.category, WorkOrder.acceptance_department)
        .join(WorkOrder, WorkOrder.instance_id == TimelineEvent.instance_id)
        .where(TimelineEvent.type.in_(("completed", REOPENED)),
               TimelineEvent.at >= start, TimelineEvent.at < end)
        .order_by(TimelineEvent.id)).all()
    processing = _processing_departments(session, {row.instance_id for row in rows})
    groups: dict[str, _Figures] = defaultdict(_Figures)
    total = _Figures()
    for row in rows:
        kind, data = _kind(row.type, row.detail)
        if kind is None:
            continue
        processed_by = processing.get(row.instance_id) or UNASSIGNED
        if department is not None and department not in (processed_by,
                                                          row.acceptance_department):
            continue
        key = {"department": processed_by, "acceptance_department": row.acceptance_department,
               "category": row.category}[group_by]
        groups[key].add(kind, data, row.number)
        total.add(kind, data, row.number)
    return {"from": start, "to": end, "group_by": group_by,
            "groups": [{"group": key, "name": name(group_by, key), **groups[key].as_dict()}
                       for key in sorted(groups)],
            "total": {"group": "total", "name": "total", **total.as_dict()}}


def _kind(event_type: str, detail: Any) -> tuple[str | None, dict[str, Any]]:
    """What an event says about satisfaction: feedback, visit, reply, reopened or None."""
    if event_type == REOPENED:
        return REOPENED, {}
    data = detail.get("data") if isinstance(detail, dict) else None
    if not isinstance(data, dict):
        return None, {}
    if "satisfaction" in data and "customer_reached" in data:
        return "feedback", data
    if "visit_reached" in data:
        return "visit", data
    rating = data.get("reply_rating")
    if isinstance(rating, int) and not isinstance(rating, bool):
        return "reply", data
    return None, {}


def _processing_departments(session: Session, instance_ids: set[str]) -> dict[str, str]:
    """Each instance's processing department (the last one, after any transfer)."""
    found: dict[str, str] = {}
    ids = sorted(instance_ids)
    for offset in range(0, len(ids), CHUNK):
        for instance_id, variables in session.execute(
                select(ProcessInstance.id, ProcessInstance.variables)
                .where(ProcessInstance.id.in_(ids[offset:offset + CHUNK]))):
            value = (variables or {}).get("processing_department")
            if isinstance(value, str):
                found[instance_id] = value
    return found


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
