"""The assessment (考核) of DOMAIN.md, per department, with its inputs beside each figure.

A department is liable for an order when a liable event (by default a lapsed stage
limit or department total) names it; the order counts once, in the month of the first
such event. Only work orders count: a lapse of an instance with no work order (a
designer's test process started through the generic engine API) is no complaint.
Monthly deduction = the department's deduction value x its liable complaints that
month. Year end (or the year so far): a cumulative count within the
ceiling gives the sum of the monthly deductions x 0.1; above it, 5 + 0.5 x (count above
the ceiling), at most 10 points (the figures are settings, data/settings.json).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.reference.directory import Directory
from engine.reference.settings import AssessmentSettings
from engine.store.models import TimelineEvent
from engine.workorders.confinement import has_work_order

WITHIN, ABOVE, CAPPED = "within_ceiling", "above_ceiling", "capped"


def assess(session: Session, settings: AssessmentSettings, directory: Directory | None,
           year: int, month: int | None = None) -> dict[str, Any]:
    """The month's deductions (when `month` is given) and the year's, through `month`
    (or the whole year), for every department of the directory and any other liable."""
    through = month or 12
    zone = settings.time_zone
    year_start = datetime(year, 1, 1, tzinfo=zone)
    year_end = datetime(year + (through == 12), through % 12 + 1, 1, tzinfo=zone)
    counts = _liable_counts(session, settings, year_start, year_end)
    known = {d.id for d in directory} if directory else set()
    departments = sorted(known | set(counts))
    return {
        "year": year, "month": month, "through": f"{year}-{through:02d}",
        "time_zone": str(zone), "liable_events": list(settings.liable_events),
        "departments": [_department(settings, directory, department, year, month, through,
                                    counts.get(department, {}))
                        for department in departments],
    }


def _liable_counts(session: Session, settings: AssessmentSettings, start: datetime,
                   end: datetime) -> dict[str, dict[int, int]]:
    """Liable complaints per department and month: each work order once per department,
    in the month of its first liable event."""
    first = (select(TimelineEvent.department, TimelineEvent.instance_id,
                    func.min(TimelineEvent.at).label("at"))
             .where(TimelineEvent.type.in_(settings.liable_events),
                    TimelineEvent.department.is_not(None),
                    has_work_order(TimelineEvent.instance_id))
             .group_by(TimelineEvent.department, TimelineEvent.instance_id).subquery())
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for department, at in session.execute(
            select(first.c.department, first.c.at).where(first.c.at >= start,
                                                          first.c.at < end)):
        counts[department][utc(at).astimezone(settings.time_zone).month] += 1
    return counts


def _department(settings: AssessmentSettings, directory: Directory | None, department: str,
                year: int, month: int | None, through: int,
                by_month: dict[int, int]) -> dict[str, Any]:
    entry = directory.get(department) if directory else None
    value = entry.deduction_value if entry and entry.deduction_value is not None \
        else settings.deduction_value
    ceiling = entry.ceiling if entry and entry.ceiling is not None else settings.ceiling
    months = [_month(year, m, value, by_month.get(m, 0)) for m in range(1, through + 1)]
    return {
        "department": department, "name": entry.name if entry else department,
        "deduction_value": value, "ceiling": ceiling,
        "month": months[month - 1] if month else None,
        "year": _year(settings, months, ceiling),
    }


def _month(year: int, month: int, value: Decimal, count: int) -> dict[str, Any]:
    deduction = value * count
    return {"month": f"{year}-{month:02d}", "liable_complaints": count,
            "deduction": deduction, "formula": f"{value} x {count} = {deduction}"}


def _year(settings: AssessmentSettings, months: list[dict], ceiling: int) -> dict[str, Any]:
    count = sum(m["liable_complaints"] for m in months)
    monthly_sum = sum((m["deduction"] for m in months), Decimal(0))
    if count <= ceiling:
        branch = WITHIN
        deduction = monthly_sum * settings.within_ceiling_factor
        formula = f"{monthly_sum} x {settings.within_ceiling_factor} = {deduction}"
    else:
        above = count - ceiling
        raw = settings.above_ceiling_base + settings.above_ceiling_per_complaint * above
        deduction = min(raw, settings.year_cap)
        branch = CAPPED if raw > settings.year_cap else ABOVE
        formula = (f"{settings.above_ceiling_base} + {settings.above_ceiling_per_complaint} "
                   f"x ({count} - {ceiling}) = {raw}")
        if branch == CAPPED:
            formula += f", capped at {settings.year_cap}"
    return {"liable_complaints": count, "monthly_deductions": monthly_sum,
            "branch": branch, "deduction": deduction, "formula": formula,
            "months": months}

