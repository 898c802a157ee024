"""Delivering webhooks: claim what is due (leased, so a worker that dies mid-delivery
leaves it to another once the lease runs out: at least once), send it signed per
Standard Webhooks, and record the answer: delivered, or tried again later with backoff
and jitter, or after the last attempt the dead letter and an incident. Each
subscription's health (last success, failures in a row) is kept beside; too many
failures in a row disable it.

In order per order: a delivery waits while an earlier event of the same order for
the same subscription is still pending (in backoff too); the dead letter does not hold
the queue up."""
from __future__ import annotations

import http.client
import json
import ssl
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased
from standardwebhooks import Webhook

from engine.integrations.events import message, message_id
from engine.integrations.models import Delivery, Subscription
from engine.integrations.pinned import pinned_connection
from engine.integrations.settings import IntegrationSettings
from engine.integrations.urls import UrlRefused, check_url
from engine.runtime.incidents import open_incident, short_error
from engine.store.models import OutboxEvent
from engine.workorders.models import WorkOrder

DELIVERY = "delivery"  # Incident.kind
USER_AGENT = "workorders-webhooks/1"


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds: what to send where."""

    delivery_id: int
    subscription_id: str
    url: str
    secret: str
    msg_id: str
    body: str


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the HTTP status, None if no answer
    error: str | None  # None: delivered

    @property
    def delivered(self) -> bool:
        return self.error is None


def claim(session: Session, worker_id: str, now: datetime, settings: IntegrationSettings,
          *, busy: frozenset[str] = frozenset(), batch_size: int = 200
          ) -> dict[str, list[Claimed]]:
    """Lease the deliveries due now, by subscription, each subscription's in event
    order and at most per_subscription_batch; `busy` subscriptions (still being sent
    by this worker) are left alone."""
    earlier = aliased(Delivery)
    waits = exists().where(earlier.subscription_id == Delivery.subscription_id,
                           earlier.instance_id == Delivery.instance_id,
                           earlier.state == "pending", earlier.event_id < Delivery.event_id)
    query = (select(Delivery).join(Subscription, Subscription.id == Delivery.subscription_id)
             .where(Delivery.state == "pending", Delivery.next_attempt_at <= now,
                    Delivery.lease_expires_at.is_(None) | (Delivery.lease_expires_at < now),
                    Subscription.state == "active", ~waits)
             .order_by(Delivery.event_id).limit(batch_size)
             .with_for_update(skip_locked=True, of=Delivery))
    if busy:
        query = query.where(Delivery.subscription_id.not_in(busy))
    per_subscription = settings.webhooks.per_subscription_batch
    taken: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in session.scalars(query):
        if len(taken[delivery.subscription_id]) < per_subscription:
            taken[delivery.subscription_id].append(delivery)
    if not taken:
        return {}
    # Leased for the lease, or as long as its whole group may take to send if longer.
    for group in taken.values():
        sending = timedelta(seconds=settings.webhooks.timeout_seconds * (len(group) + 1))
        for delivery in group:
            delivery.lease_owner = worker_id
            delivery.lease_expires_at = now + max(settings.webhooks.lease, sending)
    return {subscription_id: _prepared(session, group)
            for subscription_id, group in taken.items()}


def _prepared(session: Session, group: list[Delivery]) -> list[Claimed]:
    subscription = session.get(Subscription, group[0].subscription_id)
    assert subscription is not None  # joined in the claim
    rows = {event.id: (event, order) for event, order in session.execute(
        select(OutboxEvent, WorkOrder).join(WorkOrder, WorkOrder.instance_id ==
                                            OutboxEvent.instance_id)
        .where(OutboxEvent.id.in_([d.event_id for d in group])))}
    claimed = []
    for delivery in group:
        event, order = rows[delivery.event_id]
        claimed.append(Claimed(delivery.id, subscription.id, subscription.url,
                               subscription.secret, message_id(event.id),
                               json.dumps(message(event, order), ensure_ascii=False,
                                          separators=(",", ":"))))
    return claimed


def send(claimed: Claimed, settings: IntegrationSettings, signed_at: datetime,
         tls: ssl.SSLContext | None = None) -> Outcome:
    """POST the message, signed; any 2xx answer is a delivery. The URL is checked again
    (its host may resolve elsewhere now) and the connection goes to the address checked
    (http and https alike). Redirects are not followed. `tls`: the TLS settings (the
    system's trusted roots if None)."""
    try:
        target = check_url(claimed.url, allow_loopback=settings.allow_loopback,
                           allow_private=settings.allow_private)
    except UrlRefused as err:
        return Outcome(None, f"URL refused: {err}")
    body = claimed.body.encode()
    headers = {
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        "webhook-id": claimed.msg_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": Webhook(claimed.secret).sign(claimed.msg_id, signed_at,
                                                          claimed.body),
    }
    # Pinned to the address just checked: the host is not looked up again.
    connection = pinned_connection(target.parts.scheme, target.parts.hostname or "",
                                   target.port, target.addresses[0],
                                   settings.webhooks.timeout_seconds, tls)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # enough to free the connection; the body is ignored
    except (OSError, http.client.HTTPException) as err:
        return Outcome(None, short_error(err))
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return Outcome(response.status, None)
    return Outcome(response.status, f"HTTP {response.status} {response.reason}"[:200])


def record(session: Session, claimed: Claimed, outcome: Outcome, now: datetime,
           settings: IntegrationSettings) -> str:
    """Write down one attempt and the subscription's health; returns the delivery's
    state after it (delivered, pending, dead)."""
    delivery = session.get(Delivery, claimed.delivery_id, with_for_update=True)
    subscription = session.get(Subscription, claimed.subscription_id, with_for_update=True)
    if delivery is None or subscription is None:
        return "gone"
    delivery.attempts += 1
    delivery.last_status = outcome.status
    delivery.lease_owner = delivery.lease_expires_at = None
    if outcome.delivered:
        delivery.state, delivery.delivered_at, delivery.last_error = "delivered", now, None
        subscription.last_success_at, subscription.consecutive_failures = now, 0
        return delivery.state
    policy = settings.webhooks.retry
    delivery.last_error = outcome.error
    subscription.last_failure_at, subscription.last_error = now, outcome.error
    subscription.consecutive_failures += 1
    if (subscription.state == "active"
            and subscription.consecutive_failures >= settings.webhooks.disable_after_failures):
        subscription.state, subscription.disabled_at = "disabled", now
    if policy.gives_up(delivery.attempts):
        delivery.state = "dead"
        open_incident(session, kind=DELIVERY, subject_id=str(delivery.id),
                      instance_id=delivery.instance_id, business_key=_number(session, delivery),
                      attempts=delivery.attempts, error=outcome.error or "", now=now)
    else:
        delivery.next_attempt_at = now + policy.delay(delivery.attempts)
    return delivery.state


def _number(session: Session, delivery: Delivery) -> str | None:
    return session.scalar(select(WorkOrder.number)
                          .where(WorkOrder.instance_id == delivery.instance_id))

