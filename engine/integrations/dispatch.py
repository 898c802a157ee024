"""Fan-out: each new outbox event becomes one pending delivery per subscription that
wants it, in one unit of work with marking the event dispatched (so a crash between
the two loses nothing and doubles nothing)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.integrations.events import matches
from engine.integrations.models import Delivery, Subscription
from engine.integrations.positions import position_events
from engine.store.models import OutboxEvent
from engine.workorders.models import WorkOrder


def dispatch_batch(session: Session, now: datetime, batch_size: int) -> list[OutboxEvent]:
    """Give feed positions to new events, then fan out up to `batch_size` undispatched
    outbox events in feed order (locked and skipped by other workers on PostgreSQL).
    Returns those dispatched."""
    position_events(session, batch_size)
    events = session.scalars(
        select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None),
                                  OutboxEvent.feed_position.is_not(None))
        .order_by(OutboxEvent.feed_position).limit(batch_size)
        .with_for_update(skip_locked=True)).all()
    if not events:
        return []
    orders = {order.instance_id: order for order in session.scalars(select(WorkOrder).where(
        WorkOrder.instance_id.in_({event.instance_id for event in events})))}
    subscriptions = session.scalars(select(Subscription).where(
        Subscription.state != "deleted")).all()
    for event in events:
        event.dispatched_at = now
        order = orders.get(event.instance_id)
        if order is None:
            continue  # not a work order's (a designer's test process): nobody subscribes
        for subscription in subscriptions:
            if matches(subscription, event, order):
                session.add(Delivery(subscription_id=subscription.id, event_id=event.id,
                                     instance_id=event.instance_id, state="pending",
                                     attempts=0, next_attempt_at=now, created_at=now))
    return list(events)
