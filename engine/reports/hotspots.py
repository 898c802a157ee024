"""Hotspots: a burst of complaints on one category, or matching keywords, past a
rule's threshold within its window (data/settings.json, "hotspots"). Intake checks the
rules in the order's own transaction and raises each alert once per rule, key and
window, telling the responsible department."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..expressions import format_duration
from ..models import HotspotAlert, ProcessInstance, WorkOrder
from ..notifications import notify
from ..settings import HotspotRule
from .stats import window_start


@dataclass(frozen=True)
class Burst:
    rule: HotspotRule
    key: str
    count: int


def check_hotspots(session: Session, order: WorkOrder, instance: ProcessInstance,
                   rules: tuple[HotspotRule, ...], now: datetime,
                   department: str) -> list[HotspotAlert]:
    """Raise the alerts the newly recorded `order` tips over (it must be flushed);
    `department` is told unless the rule names another."""
    raised = []
    for rule in rules:
        key = _key(rule, order)
        if key is None:
            continue
        count = session.scalar(select(func.count()).select_from(
            _matching(select(WorkOrder), rule, key).where(
                WorkOrder.submitted_at > now - rule.window,
                WorkOrder.submitted_at <= now).subquery()))
        if count < rule.threshold:
            continue
        alert = _raise_once(session, rule, key, count, rule.department or department,
                            order, now)
        if alert is not None:
            raised.append(alert)
            what = f"keywords {', '.join(rule.keywords)}" if rule.by_keywords else key
            notify(session, instance, [alert.department], event="hotspot", now=now,
                   department=alert.department,
                   detail={"rule": rule.name, "key": key, "count": count,
                           "threshold": rule.threshold, "window": alert.window},
                   message=(f"Hotspot {rule.name}: {count} complaints on {what} within "
                            f"{alert.window} (threshold {rule.threshold}); latest "
                            f"{order.number}"))
    return raised


def current_bursts(session: Session, rules: tuple[HotspotRule, ...],
                   now: datetime) -> list[Burst]:
    """What is past a threshold right now, in each rule's window ending now."""
    bursts = []
    for rule in rules:
        in_window = (WorkOrder.submitted_at > now - rule.window, WorkOrder.submitted_at <= now)
        if rule.by_keywords or rule.category is not None:  # one count for the whole rule
            key = rule.name if rule.by_keywords else rule.category
            count = session.scalar(select(func.count()).select_from(
                _matching(select(WorkOrder), rule, key).where(*in_window).subquery()))
            if count >= rule.threshold:
                bursts.append(Burst(rule, key, count))
            continue
        per_category = (select(WorkOrder.category, func.count()).where(*in_window)
                        .group_by(WorkOrder.category)
                        .having(func.count() >= rule.threshold))
        bursts.extend(Burst(rule, category, count)
                      for category, count in session.execute(per_category))
    return sorted(bursts, key=lambda burst: (-burst.count, burst.rule.name, burst.key))


def _key(rule: HotspotRule, order: WorkOrder) -> str | None:
    """What the order counts towards under `rule`, or None if the rule is not about it."""
    if rule.by_keywords:
        content = order.content.casefold()
        return rule.name if any(k.casefold() in content for k in rule.keywords) else None
    if rule.category is None:
        return order.category
    inside = order.category == rule.category or order.category.startswith(rule.category + "/")
    return rule.category if inside else None


def _matching(query: Select, rule: HotspotRule, key: str) -> Select:
    if rule.by_keywords:
        return query.where(or_(*(WorkOrder.content.ilike(f"%{word}%", escape="\\")
                                 for word in (_escape(k) for k in rule.keywords))))
    if rule.category is None:
        return query.where(WorkOrder.category == key)
    return _in_category(query, rule.category)


def _in_category(query: Select, category: str | None) -> Select:
    if category is None:
        return query
    return query.where(or_(WorkOrder.category == category,
                           WorkOrder.category.startswith(category + "/", autoescape=True)))


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _raise_once(session: Session, rule: HotspotRule, key: str, count: int, department: str,
                order: WorkOrder, now: datetime) -> HotspotAlert | None:
    """Insert the alert unless this rule, key and window already have one (concurrent
    intakes may both see the threshold crossed; the unique key lets one of them win)."""
    values = {"rule": rule.name, "key": key[:200], "window_start": window_start(now, rule.window),
              "window": format_duration(rule.window), "threshold": rule.threshold,
              "count": count, "department": department, "raised_at": now,
              "business_key": order.number, "instance_id": order.instance_id}
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite_insert
    statement = insert(HotspotAlert).values(**values).on_conflict_do_nothing(
        index_elements=["rule", "key", "window_start"]).returning(HotspotAlert.id)
    alert_id = session.scalar(statement)
    return session.get(HotspotAlert, alert_id) if alert_id is not None else None

