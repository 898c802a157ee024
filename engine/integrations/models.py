"""Webhook subscriptions and their deliveries (one row per subscription and outbox
event: what was sent, how often, what came back)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class Subscription(Base):
    """An endpoint that wants some event types of some orders, and its health."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)  # the token's name
    owner_role: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[Any]] = mapped_column(JSON)
    flow: Mapped[str | None] = mapped_column(String(200))
    acceptance_department: Mapped[str | None] = mapped_column(String(200))
    own_orders_only: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str | None] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))  # to sign with; shown once
    starts_after: Mapped[int] = mapped_column(Integer)  # events after this feed position
    state: Mapped[str] = mapped_column(String(20))  # active | disabled | deleted
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One outbox event for one subscription: pending until the endpoint answers 2xx
    (delivered) or the attempts run out (dead: the dead letter, with an incident)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        # In order per order: the earliest pending event of a subscription and order.
        Index("ix_webhook_deliveries_order", "subscription_id", "instance_id", "state",
              "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    instance_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(20))  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


class OutgoingMessage(Base):
    """An e-mail or SMS to a department's (or management's) address: a notification,
    or the daily digest. Queued once (dedupe_key), retried like a webhook."""

    __tablename__ = "outgoing_messages"
    __table_args__ = (Index("ix_outgoing_messages_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    channel: Mapped[str] = mapped_column(String(20))  # email | sms
    kind: Mapped[str] = mapped_column(String(20))  # notification | digest
    recipient: Mapped[str] = mapped_column(String(200))  # a department id, or management
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(Integer)  # the outbox event, if any
    business_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
