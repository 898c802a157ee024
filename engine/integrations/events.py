"""Order events as the outside world sees them: an outbox row and its work order made
into one message (the same for a webhook and the event feed), who may see it, and
which subscriptions want it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine.integrations.catalogue import INTERNAL, outbox_type, public_type
from engine.integrations.models import Subscription
from engine.store.models import OutboxEvent
from engine.workorders.models import WorkOrder

# Payload keys of the engine that the message gives under the order's own names.
_ENGINE_KEYS = ("business_key", "process")


@dataclass(frozen=True)
class EventFilter:
    """Which events a reader (or a subscription) gets."""

    types: tuple[str, ...] | None = None  # public names; None: all
    flow: str | None = None
    acceptance_department: str | None = None
    submitted_by: str | None = None  # only the orders this caller submitted


def message_id(event_id: int) -> str:
    """The webhook-id: the same for every attempt, so receivers can drop repeats."""
    return f"evt_{event_id}"


def message(event: OutboxEvent, order: WorkOrder) -> dict[str, Any]:
    """The event as delivered and served: type, time, and enough to act on."""
    payload = {k: v for k, v in (event.payload or {}).items() if k not in _ENGINE_KEYS}
    data = {
        "event_id": event.id, "order": order.number, "flow": order.flow,
        "category": order.category, "acceptance_department": order.acceptance_department,
        "urgency": order.urgency, "customer_tier": order.customer_tier,
        "external_reference": order.external_reference, **payload,
    }
    return {"id": message_id(event.id), "event_id": event.id,
            "position": event.feed_position, "type": public_type(event.type),
            "timestamp": event.created_at.isoformat(), "data": data}


def matches(subscription: Subscription, event: OutboxEvent, order: WorkOrder) -> bool:
    return (event.feed_position is not None
            and event.feed_position > subscription.starts_after
            and public_type(event.type) in subscription.event_types
            and subscription.flow in (None, order.flow)
            and subscription.acceptance_department in (None, order.acceptance_department)
            and (not subscription.own_orders_only or order.submitted_by == subscription.owner))


def subscription_filter(subscription: Subscription) -> EventFilter:
    return EventFilter(tuple(subscription.event_types), subscription.flow,
                       subscription.acceptance_department,
                       subscription.owner if subscription.own_orders_only else None)


def order_events(where: EventFilter) -> Select:
    """Positioned outbox events of work orders matching `where`, in feed order."""
    query = (select(OutboxEvent, WorkOrder)
             .join(WorkOrder, WorkOrder.instance_id == OutboxEvent.instance_id))
    if INTERNAL:
        query = query.where(OutboxEvent.type.not_in(list(INTERNAL)))
    if where.types is not None:
        query = query.where(OutboxEvent.type.in_([outbox_type(t) for t in where.types]))
    if where.flow is not None:
        query = query.where(WorkOrder.flow == where.flow)
    if where.acceptance_department is not None:
        query = query.where(WorkOrder.acceptance_department == where.acceptance_department)
    if where.submitted_by is not None:
        query = query.where(WorkOrder.submitted_by == where.submitted_by)
    return query.order_by(OutboxEvent.feed_position)


def feed(session: Session, where: EventFilter, after: int, limit: int
         ) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` messages after feed position `after`, and whether more follow.
    Unpositioned events wait (see positions.py): none is ever skipped."""
    rows = session.execute(order_events(where).where(OutboxEvent.feed_position > after)
                           .limit(limit + 1)).all()
    return [message(event, order) for event, order in rows[:limit]], len(rows) > limit
