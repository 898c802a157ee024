"""Outcome reports (issue 14), each figure beside its inputs (order numbers): first-contact
resolution, repeat complaints, upgraded complaints and seed 003's problem analysis.

Grouped by acceptance department, category, month (in the reports' time zone) or the
customer's home city; `scope` confines a report to one acceptance department's orders
(a department reading its own)."""
from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.reference.outcome_settings import OutcomeSettings
from engine.reports.stats import ratio
from engine.store.models import ProcessInstance, TimelineEvent
from engine.workorders.models import LiabilityJudgment, WorkOrder

OUTCOME_GROUPINGS = ("acceptance_department", "category", "month", "city")
NO_CITY = "(unknown)"


@dataclass(frozen=True)
class Closed:
    """An order closed in the window, how it was resolved, and how long it took."""

    order: WorkOrder
    ended_at: datetime
    first_time: bool  # closed with no event that breaks a first-time resolution

    @property
    def kind(self) -> str:
        if self.order.first_contact:
            return "on_the_spot"
        return "first_time" if self.first_time else "not_first_time"

    @property
    def handling_seconds(self) -> float:
        return (self.ended_at - self.order.submitted_at).total_seconds()


def group_key(group_by: str, zone: tzinfo) -> Callable[[WorkOrder, datetime], str]:
    """The group of an order (`at`: the moment that places it in a month)."""
    if group_by not in OUTCOME_GROUPINGS:
        raise ValueError(f"group_by is one of {', '.join(OUTCOME_GROUPINGS)}")
    if group_by == "month":
        return lambda order, at: f"{utc(at).astimezone(zone):%Y-%m}"
    if group_by == "city":
        return lambda order, at: order.city or NO_CITY
    return lambda order, at: getattr(order, group_by)


def closed_orders(session: Session, settings: OutcomeSettings, start: datetime | None,
                  end: datetime | None, scope: str | None = None,
                  numbers: list[str] | None = None) -> list[Closed]:
    """Orders whose flow ended in [start, end) (or among `numbers`), by number."""
    query = _scoped(select(WorkOrder, ProcessInstance.ended_at).join(
        ProcessInstance, ProcessInstance.id == WorkOrder.instance_id).where(
        ProcessInstance.status == "completed"), scope).order_by(WorkOrder.number)
    if start is not None and end is not None:
        query = query.where(ProcessInstance.ended_at >= start, ProcessInstance.ended_at < end)
    if numbers is not None:
        query = query.where(WorkOrder.number.in_(numbers))
    rows = [(order, utc(ended)) for order, ended in session.execute(query)]
    broken = _with_events(session, [o.instance_id for o, _ in rows],
                          settings.not_first_time_events)
    return [Closed(order, ended, order.instance_id not in broken) for order, ended in rows]


def first_contact(session: Session, settings: OutcomeSettings, start: datetime,
                  end: datetime, group_by: str, zone: tzinfo,
                  scope: str | None = None) -> dict[str, Any]:
    """Per group, the orders closed in the window: resolved on the spot, first time, or
    not; the rate = (on the spot + first time) / closed."""
    key = group_key(group_by, zone)
    groups: dict[str, list[Closed]] = defaultdict(list)
    for closed in closed_orders(session, settings, start, end, scope):
        groups[key(closed.order, closed.ended_at)].append(closed)
    rows = [_fcr_row(group, members) for group, members in sorted(groups.items())]
    total = _fcr_row("total", [c for members in groups.values() for c in members])
    return {"from": start, "to": end, "group_by": group_by,
            "not_first_time_events": list(settings.not_first_time_events),
            "groups": rows, "total": total}


def _fcr_row(group: str, members: list[Closed]) -> dict[str, Any]:
    by_kind: dict[str, list[str]] = {"on_the_spot": [], "first_time": [],
                                     "not_first_time": []}
    for closed in members:
        by_kind[closed.kind].append(closed.order.number)
    resolved = len(by_kind["on_the_spot"]) + len(by_kind["first_time"])
    return {"group": group, "closed": len(members),
            "on_the_spot": len(by_kind["on_the_spot"]),
            "first_time": len(by_kind["first_time"]), "resolved_first_contact": resolved,
            "rate": ratio(resolved, len(members)),
            **{f"{kind}_orders": numbers for kind, numbers in by_kind.items()}}


def repeats(session: Session, start: datetime, end: datetime, group_by: str, zone: tzinfo,
            scope: str | None = None) -> dict[str, Any]:
    """Per group, the orders submitted in the window and the repeats among them (an
    earlier order of the same customer within the repeat window); the customers with
    two or more complaints in the window are churn risks (seed 004)."""
    key = group_key(group_by, zone)
    orders = list(session.scalars(_scoped(select(WorkOrder).where(
        WorkOrder.submitted_at >= start, WorkOrder.submitted_at < end), scope)
        .order_by(WorkOrder.number)))
    groups: dict[str, list[WorkOrder]] = defaultdict(list)
    for order in orders:
        groups[key(order, order.submitted_at)].append(order)
    per_customer: dict[str, int] = defaultdict(int)
    for order in orders:
        per_customer[order.customer_phone] += 1
    return {"from": start, "to": end, "group_by": group_by,
            "groups": [_repeat_row(group, members) for group, members in sorted(groups.items())],
            "total": _repeat_row("total", orders),
            "customers": len(per_customer),
            "churn_risk_customers": sum(1 for n in per_customer.values() if n >= 2)}


def _repeat_row(group: str, members: list[WorkOrder]) -> dict[str, Any]:
    repeated = [order.number for order in members if order.repeat_count]
    return {"group": group, "orders": len(members), "repeats": len(repeated),
            "rate": ratio(len(repeated), len(members)), "repeat_orders": repeated}


def upgrades(session: Session, settings: OutcomeSettings, start: datetime, end: datetime,
             scope: str | None = None) -> dict[str, Any]:
    """The orders upgraded in the window, by source; their latest liability judgments:
    liable or not, by liable department and by cause."""
    orders = list(session.scalars(_scoped(select(WorkOrder).where(
        WorkOrder.upgraded.is_(True), WorkOrder.upgraded_at >= start,
        WorkOrder.upgraded_at < end), scope).order_by(WorkOrder.number)))
    latest = latest_judgments(session, [order.number for order in orders])
    by_source: dict[str, list[str]] = defaultdict(list)
    by_department: dict[str, list[str]] = defaultdict(list)
    by_cause: dict[str, list[str]] = defaultdict(list)
    liable, not_liable, unjudged = [], [], []
    for order in orders:
        by_source[order.upgrade_source or ""].append(order.number)
        judgment = latest.get(order.number)
        if judgment is None:
            unjudged.append(order.number)
        elif not judgment.liable:
            not_liable.append(order.number)
        else:
            liable.append(order.number)
            by_cause[judgment.cause or ""].append(order.number)
            for department in sorted(set(judgment.departments)):
                by_department[department].append(order.number)
    names = {cause.code: cause.name for cause in settings.upgrades.liable_causes}
    return {"from": start, "to": end, "upgraded": len(orders),
            "liable": len(liable), "not_liable": len(not_liable), "unjudged": len(unjudged),
            "liable_rate": ratio(len(liable), len(liable) + len(not_liable)),
            "orders": [o.number for o in orders], "liable_orders": liable,
            "not_liable_orders": not_liable, "unjudged_orders": unjudged,
            "by_source": _counted(by_source, "source"),
            "by_department": _counted(by_department, "department"),
            "by_cause": [{**row, "name": names.get(row["cause"], row["cause"])}
                         for row in _counted(by_cause, "cause")]}


def latest_judgments(session: Session, numbers: list[str]) -> dict[str, LiabilityJudgment]:
    found: dict[str, LiabilityJudgment] = {}
    for judgment in session.scalars(select(LiabilityJudgment).where(
            LiabilityJudgment.number.in_(numbers)).order_by(LiabilityJudgment.version)):
        found[judgment.number] = judgment
    return found


def problems(session: Session, settings: OutcomeSettings, start: datetime, end: datetime,
             names: Callable[[str], str], scope: str | None = None) -> dict[str, Any]:
    """Seed 003: categories ranked by the orders submitted in the window, with the
    cumulative share (those within the Pareto share are the main problems); per
    category the first-contact resolution rate and median handling time of those
    closed by now, and simple or difficult by the settings' thresholds."""
    analysis = settings.analysis
    orders = list(session.scalars(_scoped(select(WorkOrder).where(
        WorkOrder.submitted_at >= start, WorkOrder.submitted_at < end), scope)))
    closed = {c.order.number: c for c in closed_orders(
        session, settings, None, None, scope, numbers=[o.number for o in orders])}
    by_category: dict[str, list[WorkOrder]] = defaultdict(list)
    for order in orders:
        by_category[order.category].append(order)
    ranked = sorted(by_category.items(), key=lambda item: (-len(item[1]), item[0]))
    rows, cumulative = [], 0
    for rank, (category, members) in enumerate(ranked, start=1):
        main = Decimal(cumulative) < analysis.pareto_share * len(orders)
        cumulative += len(members)
        done = [closed[o.number] for o in members if o.number in closed]
        rows.append(_problem_row(rank, category, names(category), members, done, cumulative,
                                 len(orders), main, settings))
    return {"from": start, "to": end, "orders": len(orders),
            "pareto_share": analysis.pareto_share,
            "simple_min_fcr_rate": analysis.simple_min_fcr_rate,
            "simple_max_median_seconds": analysis.simple_max_median.total_seconds(),
            "categories": rows}


def _problem_row(rank: int, category: str, name: str, members: list[WorkOrder],
                 done: list[Closed], cumulative: int, total: int, main: bool,
                 settings: OutcomeSettings) -> dict[str, Any]:
    analysis = settings.analysis
    resolved = sum(1 for c in done if c.kind != "not_first_time")
    rate = ratio(resolved, len(done))
    median = statistics.median(c.handling_seconds for c in done) if done else None
    if rate is None or median is None:
        kind = None
    else:
        simple = (Decimal(str(rate)) >= analysis.simple_min_fcr_rate
                  and median <= analysis.simple_max_median.total_seconds())
        kind = "simple" if simple else "difficult"
    return {"rank": rank, "category": category, "name": name, "orders": len(members),
            "share": ratio(len(members), total), "cumulative_share": ratio(cumulative, total),
            "main": main, "closed": len(done), "fcr_rate": rate,
            "median_handling_seconds": median, "class": kind,
            "order_numbers": sorted(o.number for o in members)}


def _counted(groups: dict[str, list[str]], name: str) -> list[dict[str, Any]]:
    return [{name: key, "count": len(numbers), "orders": numbers}
            for key, numbers in sorted(groups.items(), key=lambda i: (-len(i[1]), i[0]))]


def _with_events(session: Session, instance_ids: Iterable[str],
                 types: tuple[str, ...]) -> set[str]:
    ids = list(instance_ids)
    if not ids:
        return set()
    return set(session.scalars(select(TimelineEvent.instance_id).where(
        TimelineEvent.instance_id.in_(ids), TimelineEvent.type.in_(types)).distinct()))


def _scoped(query: Select, scope: str | None) -> Select:
    return query if scope is None else query.where(WorkOrder.acceptance_department == scope)

