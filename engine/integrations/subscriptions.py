"""Webhook subscriptions: made, listed, enabled again and deleted by their owner (an
administrator sees and manages all), and manual redelivery of their events."""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Conflict, NotFound
from engine.integrations.catalogue import CATALOGUE
from engine.integrations.events import order_events, subscription_filter
from engine.integrations.models import Delivery, Subscription
from engine.integrations.urls import UrlRefused, check_url
from engine.store.models import OutboxEvent

MAX_REDELIVERY = 1000  # events one redelivery may put back in the queue


@dataclass(frozen=True)
class Caller:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class NewSubscription:
    url: str
    event_types: tuple[str, ...]
    flow: str | None = None
    acceptance_department: str | None = None
    own_orders_only: bool = True
    description: str | None = None


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_new(request: NewSubscription, *, flows: set[str], departments: set[str] | None,
              allow_loopback: bool, allow_private: bool) -> None:
    """FormValidationError naming every bad field of `request`."""
    errors = []
    try:
        check_url(request.url, allow_loopback=allow_loopback, allow_private=allow_private)
    except UrlRefused as err:
        errors.append(FieldError("url", str(err)))
    for index, name in enumerate(request.event_types):
        if name not in CATALOGUE:
            errors.append(FieldError(f"event_types.{index}",
                                     f"{name!r} is not an event type (GET /api/v1/events/types)"))
    if not request.event_types:
        errors.append(FieldError("event_types", "name at least one event type"))
    if request.flow is not None and request.flow not in flows:
        errors.append(FieldError("flow", f"{request.flow!r} is not a work-order flow"))
    department = request.acceptance_department
    if department is not None and departments is not None and department not in departments:
        errors.append(FieldError("acceptance_department", f"{department!r} is not a department"))
    if errors:
        raise FormValidationError("subscription", errors)


def create(session: Session, request: NewSubscription, caller: Caller, now: datetime,
           max_per_owner: int) -> tuple[Subscription, str]:
    """Store the subscription; returns it and its secret (never shown again)."""
    owned = session.scalar(select(func.count()).select_from(Subscription).where(
        Subscription.owner == caller.name, Subscription.state != "deleted")) or 0
    if owned >= max_per_owner:
        raise Conflict(f"{caller.name!r} has {owned} subscriptions, the most one caller "
                       "may have; delete one first")
    secret = new_secret()
    # From the feed's current end: events committed later get later positions.
    newest = session.scalar(select(func.max(OutboxEvent.feed_position))) or 0
    subscription = Subscription(
        id=str(uuid4()), owner=caller.name, owner_role=caller.role, url=request.url,
        event_types=list(dict.fromkeys(request.event_types)), flow=request.flow,
        acceptance_department=request.acceptance_department,
        # An integrator sees its own orders only, and so do its subscriptions.
        own_orders_only=request.own_orders_only or not caller.is_admin,
        description=request.description, secret=secret, starts_after=newest,
        state="active", created_at=now, consecutive_failures=0)
    session.add(subscription)
    return subscription, secret


def visible(session: Session, subscription_id: str, caller: Caller,
            *, lock: bool = False) -> Subscription:
    """The caller's subscription (any, for an administrator); NotFound otherwise."""
    subscription = session.get(Subscription, subscription_id, with_for_update=lock)
    if (subscription is None or subscription.state == "deleted"
            or not (caller.is_admin or subscription.owner == caller.name)):
        raise NotFound(f"no subscription {subscription_id!r}")
    return subscription


def listed(session: Session, caller: Caller) -> list[Subscription]:
    query = select(Subscription).where(Subscription.state != "deleted")
    if not caller.is_admin:
        query = query.where(Subscription.owner == caller.name)
    return list(session.scalars(query.order_by(Subscription.created_at, Subscription.id)))


def delete(session: Session, subscription_id: str, caller: Caller, now: datetime) -> None:
    """Stop delivering; what is pending is dropped with it."""
    subscription = visible(session, subscription_id, caller, lock=True)
    subscription.state, subscription.deleted_at = "deleted", now


def enable(session: Session, subscription_id: str, caller: Caller) -> Subscription:
    """Deliver again to a subscription disabled after failures (its queue resumes)."""
    subscription = visible(session, subscription_id, caller, lock=True)
    subscription.state, subscription.disabled_at = "active", None
    subscription.consecutive_failures = 0
    return subscription


def redeliver(session: Session, subscription_id: str, caller: Caller, first: int,
              last: int, now: datetime) -> int:
    """Queue events `first`..`last` (ids, inclusive) that the subscription wants and may
    see again, delivered or not (the dead letter too). Returns how many."""
    subscription = visible(session, subscription_id, caller, lock=True)
    if last < first:
        raise FormValidationError("redelivery", [FieldError("to_event_id",
                                                            "is before from_event_id")])
    if last - first >= MAX_REDELIVERY:
        raise FormValidationError("redelivery", [FieldError(
            "to_event_id", f"at most {MAX_REDELIVERY} events at once")])
    where = subscription_filter(subscription)
    rows = session.execute(order_events(where).where(OutboxEvent.id.between(first, last))).all()
    existing = {d.event_id: d for d in session.scalars(select(Delivery).where(
        Delivery.subscription_id == subscription.id,
        Delivery.event_id.between(first, last)).with_for_update())}
    for event, _order in rows:
        delivery = existing.get(event.id)
        if delivery is None:
            session.add(Delivery(subscription_id=subscription.id, event_id=event.id,
                                 instance_id=event.instance_id, state="pending", attempts=0,
                                 next_attempt_at=now, created_at=now))
        else:
            requeue(delivery, now)
    return len(rows)


def requeue(delivery: Delivery, now: datetime) -> None:
    delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
    delivery.lease_owner = delivery.lease_expires_at = None
    delivery.delivered_at = None
