"""The assessment (考核) of DOMAIN.md, per department and per city, each figure beside its
inputs (the order numbers).

The KPI counts **company-liable upgraded complaints** (企业有责升级投诉): an upgraded order
whose latest liability judgment says liable counts once for each liable department, in
the month (in the assessment's time zone) of that judgment. Monthly deduction = the
department's deduction value x its count that month. Year end (or the year so far): a
cumulative count within the ceiling gives the sum of the monthly deductions x 0.1; above
it, 5 + 0.5 x (count above the ceiling), at most 10 points (data/settings.json). A
liable complaint that caused a major complaint adds major_complaint_deduction on top,
one by one (发现一起 考核一起), neither scaled nor capped. A city is assessed the same way
on the liable complaints of its departments (each once), with the settings' figures.

Lapsed limits are a separate timeliness figure beside it (`timeliness`): the orders a
lapse (assessment.liable_events) named the department in, once each, in the month of
the first; they are not the KPI's input.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
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
from engine.workorders.models import LiabilityJudgment, WorkOrder

WITHIN, ABOVE, CAPPED = "within_ceiling", "above_ceiling", "capped"


@dataclass
class Inputs:
    """Order numbers by month (1-12): all counted, and the major ones among them."""

    orders: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    majors: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))


def assess(session: Session, settings: AssessmentSettings, directory: Directory | None,
           year: int, month: int | None = None,
           major_deduction: Decimal = Decimal(0)) -> dict[str, Any]:
    """The month's deductions (when `month` is given) and the year's, through `month`
    (or the whole year), for every department of the directory and any other liable,
    and for every city of the directory."""
    through = month or 12
    zone = settings.time_zone
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + (through == 12), through % 12 + 1, 1, tzinfo=zone)
    liable = _liable_upgraded(session, settings, start, end)
    lapses = _lapsed(session, settings, start, end)
    known = {d.id for d in directory} if directory else set()
    departments = sorted(known | set(liable) | set(lapses))
    period = (year, month, through)
    return {
        "year": year, "month": month, "through": f"{year}-{through:02d}",
        "time_zone": str(zone), "liable_events": list(settings.liable_events),
        "major_complaint_deduction": major_deduction,
        "departments": [_department(settings, directory, department, period,
                                    liable.get(department, Inputs()),
                                    lapses.get(department, Inputs()), major_deduction)
                        for department in departments],
        "cities": _cities(settings, directory, period, liable, major_deduction),
    }


def _liable_upgraded(session: Session, settings: AssessmentSettings, start: datetime,
                     end: datetime) -> dict[str, Inputs]:
    """Per department, the company-liable upgraded complaints by month of the latest
    judgment."""
    latest = (select(LiabilityJudgment.number, func.max(LiabilityJudgment.version)
                     .label("version")).group_by(LiabilityJudgment.number).subquery())
    judgments = session.scalars(select(LiabilityJudgment).join(latest, (
        LiabilityJudgment.number == latest.c.number) & (
        LiabilityJudgment.version == latest.c.version)).where(
        LiabilityJudgment.liable.is_(True), LiabilityJudgment.judged_at >= start,
        LiabilityJudgment.judged_at < end).order_by(LiabilityJudgment.number))
    found: dict[str, Inputs] = defaultdict(Inputs)
    for judgment in judgments:
        month = utc(judgment.judged_at).astimezone(settings.time_zone).month
        for department in sorted(set(judgment.departments)):
            found[department].orders[month].append(judgment.number)
            if judgment.major:
                found[department].majors[month].append(judgment.number)
    return found


def _lapsed(session: Session, settings: AssessmentSettings, start: datetime,
            end: datetime) -> dict[str, Inputs]:
    """Per department, the orders with a lapse naming it, by month of the first."""
    first = (select(TimelineEvent.department, TimelineEvent.instance_id,
                    func.min(TimelineEvent.at).label("at"))
             .where(TimelineEvent.type.in_(settings.liable_events),
                    TimelineEvent.department.is_not(None),
                    has_work_order(TimelineEvent.instance_id))
             .group_by(TimelineEvent.department, TimelineEvent.instance_id).subquery())
    found: dict[str, Inputs] = defaultdict(Inputs)
    for department, at, number in session.execute(
            select(first.c.department, first.c.at, WorkOrder.number)
            .join(WorkOrder, WorkOrder.instance_id == first.c.instance_id)
            .where(first.c.at >= start, first.c.at < end)
            .order_by(WorkOrder.number)):
        found[department].orders[utc(at).astimezone(settings.time_zone).month].append(number)
    return found


def _department(settings: AssessmentSettings, directory: Directory | None, department: str,
                period: tuple, liable: Inputs, lapses: Inputs,
                major_deduction: Decimal) -> dict[str, Any]:
    year, month, through = period
    entry = directory.get(department) if directory else None
    value = entry.deduction_value if entry and entry.deduction_value is not None \
        else settings.deduction_value
    ceiling = entry.ceiling if entry and entry.ceiling is not None else settings.ceiling
    months = [_month(year, m, value, liable, major_deduction) for m in range(1, through + 1)]
    lapse_months = [{"month": f"{year}-{m:02d}", "lapsed_orders": len(lapses.orders[m]),
                     "orders": lapses.orders[m]} for m in range(1, through + 1)]
    return {
        "department": department, "name": entry.name if entry else department,
        "city": entry.city if entry else None,
        "deduction_value": value, "ceiling": ceiling,
        "month": months[month - 1] if month else None,
        "year": _year(settings, months, ceiling),
        "timeliness": {
            "month": lapse_months[month - 1] if month else None,
            "year": {"lapsed_orders": sum(m["lapsed_orders"] for m in lapse_months),
                     "months": lapse_months}},
    }


def _cities(settings: AssessmentSettings, directory: Directory | None, period: tuple,
            liable: dict[str, Inputs], major_deduction: Decimal) -> list[dict[str, Any]]:
    """Each city of the directory assessed on its departments' liable complaints."""
    year, month, through = period
    members: dict[str, list[str]] = defaultdict(list)
    for entry in directory or ():
        if entry.city:
            members[entry.city].append(entry.id)
    cities = []
    for city, departments in sorted(members.items()):
        merged = Inputs()
        for m in range(1, through + 1):
            for kind in ("orders", "majors"):
                numbers = {n for d in departments if d in liable
                           for n in getattr(liable[d], kind)[m]}
                getattr(merged, kind)[m] = sorted(numbers)
        months = [_month(year, m, settings.deduction_value, merged, major_deduction)
                  for m in range(1, through + 1)]
        cities.append({"city": city, "departments": sorted(departments),
                       "deduction_value": settings.deduction_value,
                       "ceiling": settings.ceiling,
                       "month": months[month - 1] if month else None,
                       "year": _year(settings, months, settings.ceiling)})
    return cities


def _month(year: int, month: int, value: Decimal, inputs: Inputs,
           major_deduction: Decimal) -> dict[str, Any]:
    orders, majors = inputs.orders[month], inputs.majors[month]
    deduction = value * len(orders)
    major = major_deduction * len(majors)
    return {"month": f"{year}-{month:02d}", "liable_complaints": len(orders),
            "orders": list(orders), "deduction": deduction,
            "formula": f"{value} x {len(orders)} = {deduction}",
            "major_complaints": len(majors), "major_orders": list(majors),
            "major_deduction": major, "total_deduction": deduction + major}


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
    major = sum((m["major_deduction"] for m in months), Decimal(0))
    return {"liable_complaints": count, "monthly_deductions": monthly_sum,
            "branch": branch, "deduction": deduction, "formula": formula,
            "orders": [n for m in months for n in m["orders"]],
            "major_complaints": sum(m["major_complaints"] for m in months),
            "major_deduction": major, "total_deduction": deduction + major,
            "months": months}
