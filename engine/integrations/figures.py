"""Figures an operator watches, read from the database (so every process reports the
same): timer lag, outbox backlog, deliveries, incidents, lapses, rungs, open orders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.integrations.models import Delivery, Subscription
from engine.store.models import Incident, OutboxEvent, ProcessInstance, TimelineEvent, Timer
from engine.workorders.models import WorkOrder

LAPSES = ("stage_overdue", "department_overdue")
RUNG_FIRED = "escalated"


@dataclass(frozen=True)
class Figures:
    timer_lag_seconds: float
    outbox_backlog: int
    deliveries: dict[str, int]
    failing_subscriptions: int
    delivery_failures: int
    incidents: dict[str, int]
    lapses: dict[str, int]
    rungs_fired: int
    open_orders: dict[str, int]


def read_figures(session: Session, now: datetime) -> Figures:
    oldest_due = session.scalar(select(func.min(Timer.due_at)).where(
        Timer.state == "pending", Timer.due_at < now))
    lag = max((now - oldest_due).total_seconds(), 0.0) if oldest_due is not None else 0.0
    deliveries = _counts(session, select(Delivery.state, func.count())
                         .group_by(Delivery.state))
    failures = session.scalar(select(func.coalesce(func.sum(Delivery.attempts), 0)).where(
        Delivery.last_error.is_not(None))) or 0
    # A delivered one failed attempts - 1 times; one still failing, every attempt.
    delivered_late = session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.state == "delivered", Delivery.attempts > 1)) or 0
    return Figures(
        timer_lag_seconds=lag,
        outbox_backlog=session.scalar(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.dispatched_at.is_(None))) or 0,
        deliveries={state: deliveries.get(state, 0)
                    for state in ("pending", "delivered", "dead")},
        failing_subscriptions=session.scalar(select(func.count()).select_from(Subscription)
                                             .where(Subscription.state != "deleted",
                                                    Subscription.consecutive_failures > 0))
        or 0,
        delivery_failures=int(failures) - delivered_late,
        incidents=_counts(session, select(Incident.kind, func.count())
                          .where(Incident.state == "open").group_by(Incident.kind)),
        lapses=_counts(session, select(TimelineEvent.type, func.count())
                       .where(TimelineEvent.type.in_(LAPSES)).group_by(TimelineEvent.type)),
        rungs_fired=session.scalar(select(func.count()).select_from(TimelineEvent).where(
            TimelineEvent.type == RUNG_FIRED)) or 0,
        open_orders=_counts(session, select(WorkOrder.flow, func.count()).join(
            ProcessInstance, ProcessInstance.id == WorkOrder.instance_id)
            .where(ProcessInstance.status == "running").group_by(WorkOrder.flow)),
    )


def _counts(session: Session, query: Select) -> dict[str, int]:
    """{key: count} of a two-column grouped count."""
    return {str(key): int(count) for key, count in session.execute(query)}
