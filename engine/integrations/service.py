"""The integrations facade for the API, the CLI and the workers: subscriptions, the
event feed, and one round of delivery (fan out the outbox, claim, send, record)."""
from __future__ import annotations

import ssl
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from engine.clock import Clock, SystemClock
from engine.integrations import delivery, messaging, subscriptions
from engine.integrations.channels import Channel
from engine.integrations.contacts import Contacts
from engine.integrations.dispatch import dispatch_batch
from engine.integrations.events import EventFilter, feed
from engine.integrations.figures import Figures, read_figures
from engine.integrations.models import Delivery, OutgoingMessage, Subscription
from engine.integrations.positions import position_events, unpositioned
from engine.integrations.settings import IntegrationSettings
from engine.integrations.subscriptions import Caller, NewSubscription
from engine.process_engine import ProcessEngine
from engine.reference.directory import MANAGEMENT, Directory
from engine.store.models import Incident

DISPATCH_BATCH = 500


@dataclass
class People:
    """Whom e-mail and SMS reach, and how (channels by name: email, sms)."""

    contacts: Contacts = field(default_factory=Contacts)
    channels: dict[str, Channel] = field(default_factory=dict)
    directory: Directory | None = None
    # The stages at risk now, as the at-risk report gives them (for the digest).
    at_risk: Callable[[], list[dict[str, Any]]] = lambda: []

    def name_of(self, department: str) -> str:
        found = self.directory.get(department) if self.directory else None
        return found.name if found is not None else department

    def supervisor_of(self, department: str) -> str:
        return self.directory.supervisor_of(department) if self.directory else MANAGEMENT


class Integrations:
    def __init__(self, engine: ProcessEngine, settings: IntegrationSettings,
                 flows: Callable[[], set[str]], departments: set[str] | None,
                 signing_clock: Clock | None = None, people: People | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self._flows = flows
        self._departments = departments
        self.people = people or People()
        # Receivers check webhook-timestamp against their own wall clock (Standard
        # Webhooks: within 5 minutes), so it is the real time of sending even where
        # the engine runs on a simulated clock.
        self.signing_clock = signing_clock or SystemClock()
        # The TLS settings of https deliveries; None: the system's trusted roots.
        self.tls_context: ssl.SSLContext | None = None
        engine.incidents.register(delivery.DELIVERY, _retry_delivery)
        engine.incidents.register(messaging.MESSAGE, messaging.retry_message)

    # Subscriptions

    def subscribe(self, request: NewSubscription, caller: Caller) -> tuple[Subscription, str]:
        subscriptions.check_new(request, flows=self._flows(), departments=self._departments,
                                allow_loopback=self.settings.allow_loopback,
                                allow_private=self.settings.allow_private)
        with self.engine.transaction() as session:
            return subscriptions.create(session, request, caller, self.engine.clock.now(),
                                        self.settings.webhooks.max_per_owner)

    def subscriptions(self, caller: Caller) -> list[Subscription]:
        with self.engine.reading() as session:
            return subscriptions.listed(session, caller)

    def subscription(self, subscription_id: str, caller: Caller) -> Subscription:
        with self.engine.reading() as session:
            return subscriptions.visible(session, subscription_id, caller)

    def unsubscribe(self, subscription_id: str, caller: Caller) -> None:
        with self.engine.transaction() as session:
            subscriptions.delete(session, subscription_id, caller, self.engine.clock.now())

    def enable(self, subscription_id: str, caller: Caller) -> Subscription:
        with self.engine.transaction() as session:
            return subscriptions.enable(session, subscription_id, caller)

    def redeliver(self, subscription_id: str, caller: Caller, first: int, last: int) -> int:
        with self.engine.transaction() as session:
            return subscriptions.redeliver(session, subscription_id, caller, first, last,
                                           self.engine.clock.now())

    def deliveries(self, subscription_id: str, caller: Caller, state: str | None,
                   limit: int) -> list[Delivery]:
        """The subscription's latest deliveries (`state=dead`: its dead letter)."""
        with self.engine.reading() as session:
            subscriptions.visible(session, subscription_id, caller)
            query = select(Delivery).where(Delivery.subscription_id == subscription_id)
            if state is not None:
                query = query.where(Delivery.state == state)
            return list(session.scalars(query.order_by(Delivery.event_id.desc()).limit(limit)))

    # The feed

    def events(self, where: EventFilter, after: int, limit: int
               ) -> tuple[list[dict[str, Any]], bool]:
        self.position_events()
        with self.engine.reading() as session:
            return feed(session, where, after, limit)

    def position_events(self) -> int:
        """Give feed positions to the events committed since (the readers' own step, so
        the feed does not wait for a delivery worker); returns how many."""
        with self.engine.reading() as session:
            if not unpositioned(session):
                return 0
        total = 0
        while True:
            with self.engine.transaction() as session:
                count = position_events(session, DISPATCH_BATCH)
            total += count
            if count < DISPATCH_BATCH:
                return total

    # Delivery

    def dispatch(self) -> int:
        """Fan out every undispatched outbox event to the subscriptions and, for a
        notification, to its recipient's addresses; returns how many."""
        total = 0
        people = self.people
        while True:
            now = self.engine.clock.now()
            with self.engine.transaction() as session:
                events = dispatch_batch(session, now, DISPATCH_BATCH)
                messaging.queue_notifications(session, events, people.contacts,
                                              people.channels, self.settings.messages,
                                              people.name_of, now)
            total += len(events)
            if len(events) < DISPATCH_BATCH:
                return total

    def queue_digest(self) -> int:
        """Queue today's digest if its time has come and it is not queued yet."""
        now = self.engine.clock.now()
        day = messaging.digest_day(now, self.settings.messages)
        if day is None or not self.people.channels:
            return 0
        with self.engine.reading() as session:
            if session.scalar(select(OutgoingMessage.id).where(
                    OutgoingMessage.kind == "digest",
                    OutgoingMessage.dedupe_key.startswith(f"d:{day}:")).limit(1)):
                return 0
        stages = self.people.at_risk()
        try:
            with self.engine.transaction() as session:
                return messaging.queue_digest(session, day, stages, self.people.contacts,
                                              self.people.channels, self.people.name_of,
                                              self.people.supervisor_of, now)
        except messaging.DigestRace:
            return 0

    def send_messages(self, channel_name: str, claimed: list[messaging.ClaimedMessage]
                      ) -> list[str]:
        channel = self.people.channels[channel_name]
        states = []
        for message in claimed:
            error = messaging.send_message(channel, message)
            with self.engine.transaction() as session:
                states.append(messaging.record_message(
                    session, message.id, error, self.engine.clock.now(),
                    self.settings.webhooks.retry))
        return states

    def claim(self, worker_id: str, busy: frozenset[str] = frozenset()
              ) -> dict[str, list[delivery.Claimed]]:
        with self.engine.transaction() as session:
            return delivery.claim(session, worker_id, self.engine.clock.now(), self.settings,
                                  busy=busy)

    def send_group(self, group: list[delivery.Claimed]) -> list[str]:
        """Send one subscription's claimed messages in order; stops at the first that
        fails (the later ones of its order must wait for it: their leases run out).
        Returns the states recorded."""
        states = []
        for claimed in group:
            outcome = delivery.send(claimed, self.settings, self.signing_clock.now(),
                                    self.tls_context)
            with self.engine.transaction() as session:
                state = delivery.record(session, claimed, outcome, self.engine.clock.now(),
                                        self.settings)
            states.append(state)
            if not outcome.delivered:
                self._release_rest(group[len(states):])
                break
        return states

    def _release_rest(self, rest: list[delivery.Claimed]) -> None:
        if not rest:
            return
        with self.engine.transaction() as session:
            for claimed in rest:
                row = session.get(Delivery, claimed.delivery_id, with_for_update=True)
                if row is not None and row.state == "pending":
                    row.lease_owner = row.lease_expires_at = None

    def deliver_round(self, worker_id: str, executor: Executor,
                      busy: frozenset[str] = frozenset()) -> dict[str, Future]:
        """Dispatch, claim and start sending each subscription's group on `executor`;
        returns the futures by subscription (a slow endpoint holds only its own)."""
        self.dispatch()
        self.queue_digest()
        groups = self.claim(worker_id, busy)
        started = {subscription_id: executor.submit(self.send_group, group)
                   for subscription_id, group in groups.items()}
        now = self.engine.clock.now()
        for name in self.people.channels:
            key = f"channel:{name}"
            if key in busy:
                continue
            with self.engine.transaction() as session:
                claimed = messaging.claim_messages(session, name, worker_id, now,
                                                   now + self.settings.webhooks.lease, 50)
            if claimed:
                started[key] = executor.submit(self.send_messages, name, claimed)
        return started

    def release_leases(self, *, owner_prefix: str, owner_suffix: str) -> int:
        """Give back the leases of pending deliveries and messages held by a worker
        known to be gone (see runtime/worker.reclaim_embedded_leases); returns how many."""
        released = 0
        with self.engine.transaction() as session:
            for model in (Delivery, OutgoingMessage):
                result = session.execute(
                    update(model).where(
                        model.state == "pending", model.lease_owner.is_not(None),
                        model.lease_owner.startswith(owner_prefix, autoescape=True),
                        model.lease_owner.endswith(owner_suffix, autoescape=True))
                    .values(lease_owner=None, lease_expires_at=None)
                    .execution_options(synchronize_session=False))
                released += cast("CursorResult[Any]", result).rowcount
        return released

    # Figures

    def figures(self) -> Figures:
        with self.engine.reading() as session:
            return read_figures(session, self.engine.clock.now())


def _retry_delivery(session: Session, incident: Incident, now: datetime) -> None:
    row = session.get(Delivery, int(incident.subject_id), with_for_update=True)
    if row is not None and row.state == "dead":
        subscriptions.requeue(row, now)
