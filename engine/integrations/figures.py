"""Figures an operator watches, read from the database (so every process reports the
same): timer lag, outbox backlog, deliveries, incidents, lapses, rungs, open orders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.integrations.delivery import DELIVERY
from engine.integrations.messaging import MESSAGE
from engine.integrations.models import Delivery, OutgoingMessage, Subscription
from engine.runtime.deadline import OVERDUE
from engine.runtime.incidents import TIMER
from engine.store.models import Incident, OutboxEvent, ProcessInstance, TimelineEvent, Timer
from engine.workorders.models import WorkOrder

LAPSES = ("stage_overdue", "department_overdue", OVERDUE)
RUNG_FIRED = "escalated"
INCIDENT_KINDS = (TIMER, DELIVERY, MESSAGE)  # each reported, 0 if none is open
MESSAGE_STATES = ("pending", "sent", "dead")


@dataclass(frozen=True)
class Figures:
    timer_lag_seconds: float
    outbox_backlog: int
    deliveries: dict[str, int]
    failing_subscriptions: int
    delivery_failures: int
    incidents: dict[str, int]
    lapses: dict[str, int]
    rungs_fired: dict[tuple[str, str], int]  # by (rung, limit_kind)
    open_orders: dict[str, int]
    messages: dict[tuple[str, str], int]  # e-mail and SMS by (channel, state)


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
        incidents=_zero_filled(INCIDENT_KINDS, _counts(
            session, select(Incident.kind, func.count()).where(Incident.state == "open")
            .group_by(Incident.kind))),
        lapses=_zero_filled(LAPSES, _counts(
            session, select(TimelineEvent.type, func.count())
            .where(TimelineEvent.type.in_(LAPSES)).group_by(TimelineEvent.type))),
        rungs_fired=_rungs_fired(session),
        open_orders=_counts(session, select(WorkOrder.flow, func.count()).join(
            ProcessInstance, ProcessInstance.id == WorkOrder.instance_id)
            .where(ProcessInstance.status == "running").group_by(WorkOrder.flow)),
        messages=_messages(session),
    )


def _rungs_fired(session: Session) -> dict[tuple[str, str], int]:
    rung = TimelineEvent.detail["rung"].as_string()
    kind = TimelineEvent.detail["limit_kind"].as_string()
    rows = session.execute(select(rung, kind, func.count())
                           .where(TimelineEvent.type == RUNG_FIRED).group_by(rung, kind))
    return {(str(r or ""), str(k or "stage")): int(n) for r, k, n in rows}


def _messages(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(select(OutgoingMessage.channel, OutgoingMessage.state,
                                  func.count())
                           .group_by(OutgoingMessage.channel, OutgoingMessage.state))
    found = {(str(c), str(s)): int(n) for c, s, n in rows}
    channels = {channel for channel, _ in found} | {"email"}
    return {(c, s): found.get((c, s), 0) for c in sorted(channels) for s in MESSAGE_STATES}


def _zero_filled(keys: tuple[str, ...], counts: dict[str, int]) -> dict[str, int]:
    return {**dict.fromkeys(keys, 0), **counts}


def _counts(session: Session, query: Select) -> dict[str, int]:
    """{key: count} of a two-column grouped count."""
    return {str(key): int(count) for key, count in session.execute(query)}
