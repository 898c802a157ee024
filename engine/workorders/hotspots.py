"""Hotspots (批量投诉): a burst of complaints on one category, or matching keywords, past
a rule's threshold within its window (data/settings.json, "hotspots").

Intake checks the rules in the new order's own transaction. Intakes that could tip the
same rule and key are serialised (a row lock on PostgreSQL; SQLite has one writer), so
each sees the others' orders: an alert is never missed, and never raised twice within
one window of the last."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.reference.categories import is_under, under
from engine.reference.settings import HotspotRule
from engine.runtime.notifications import notify
from engine.runtime.sandbox import format_duration
from engine.store.models import ProcessInstance
from engine.workorders.models import HotspotAlert, WorkOrder


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
        _serialise(session, rule, key)
        count = _count(session, rule, key, now)
        if count < rule.threshold or _recently_raised(session, rule, key, now):
            continue
        alert = HotspotAlert(
            rule=rule.name, key=key[:200], window_start=now - rule.window,
            window=format_duration(rule.window), threshold=rule.threshold, count=count,
            department=rule.department or department, raised_at=now,
            business_key=order.number, instance_id=order.instance_id)
        session.add(alert)
        raised.append(alert)
        what = f"keywords {', '.join(rule.keywords)}" if rule.by_keywords else key
        notify(session, instance, [alert.department], event="hotspot", now=now,
               department=alert.department,
               detail={"rule": rule.name, "key": key, "count": count,
                       "threshold": rule.threshold, "window": alert.window},
               message=(f"Hotspot {rule.name}: {count} complaints on {what} within "
                        f"{alert.window} (threshold {rule.threshold}); latest {order.number}"))
    return raised


def current_bursts(session: Session, rules: tuple[HotspotRule, ...],
                   now: datetime) -> list[Burst]:
    """What is past a threshold right now, in each rule's window ending now."""
    bursts = []
    for rule in rules:
        key = rule.name if rule.by_keywords else rule.category
        if key is not None:  # by keywords or under one category: one count for the rule
            count = _count(session, rule, key, now)
            if count >= rule.threshold:
                bursts.append(Burst(rule, key, count))
            continue
        per_category = (select(WorkOrder.category, func.count())
                        .where(*_in_window(rule, now)).group_by(WorkOrder.category)
                        .having(func.count() >= rule.threshold))
        bursts.extend(Burst(rule, category, count)
                      for category, count in session.execute(per_category))
    return sorted(bursts, key=lambda burst: (-burst.count, burst.rule.name, burst.key))


def _key(rule: HotspotRule, order: WorkOrder) -> str | None:
    """What the order counts towards under `rule`, or None if the rule is not about it."""
    if rule.by_keywords:
        return rule.name if _mentions(rule, order.content) else None
    if rule.category is None:
        return order.category
    return rule.category if is_under(order.category, rule.category) else None


def _mentions(rule: HotspotRule, content: str) -> bool:
    folded = content.casefold()
    return any(keyword.casefold() in folded for keyword in rule.keywords)


def _in_window(rule: HotspotRule, now: datetime) -> tuple:
    return WorkOrder.submitted_at > now - rule.window, WorkOrder.submitted_at <= now


def _count(session: Session, rule: HotspotRule, key: str, now: datetime) -> int:
    if rule.by_keywords:
        # Matched here rather than in SQL: one folding of case for every language on
        # both databases (a window holds few orders).
        contents = session.scalars(select(WorkOrder.content).where(*_in_window(rule, now)))
        return sum(1 for content in contents if _mentions(rule, content))
    in_key = WorkOrder.category == key if rule.category is None else under(
        WorkOrder.category, key)
    return session.execute(select(func.count()).select_from(WorkOrder).where(
        in_key, *_in_window(rule, now))).scalar_one()


def _recently_raised(session: Session, rule: HotspotRule, key: str, now: datetime) -> bool:
    return session.execute(select(func.count()).select_from(HotspotAlert).where(
        HotspotAlert.rule == rule.name, HotspotAlert.key == key[:200],
        HotspotAlert.raised_at > now - rule.window)).scalar_one() > 0


def _serialise(session: Session, rule: HotspotRule, key: str) -> None:
    """Hold a lock on (rule, key) until the transaction ends, so that two intakes do not
    both count without the other (PostgreSQL; SQLite runs one writer at a time)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"hotspot/{rule.name}/{key}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": int.from_bytes(digest[:8], "big", signed=True)})
