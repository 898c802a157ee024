"""E-mail and SMS for people: each notification in the outbox becomes a message per
address of its recipient (department or management) and channel; once a day each
department with stages at risk gets a digest, its supervisor a copy. Messages are
sent by the workers and retried like webhooks (backoff with jitter, then the dead
letter and an incident)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.integrations import mail
from engine.integrations.channels import Channel, ChannelFailed
from engine.integrations.contacts import Contacts
from engine.integrations.models import OutgoingMessage
from engine.runtime.incidents import RetryPolicy, open_incident, short_error
from engine.store.models import OutboxEvent

MESSAGE = "message"  # Incident.kind


@dataclass(frozen=True)
class MessageSettings:
    event_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    time_zone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    digest_at: time | None = time(8, 0)  # local time of the daily digest; None: none
    management: Mapping[str, Any] = field(default_factory=dict)  # its email / sms


def queue_notifications(session: Session, events: Iterable[OutboxEvent], contacts: Contacts,
                        channels: Iterable[str], settings: MessageSettings,
                        department_name: Callable[[str], str], now: datetime) -> int:
    """A message per address of each notification's recipient; returns how many."""
    queued = 0
    for event in events:
        if event.type != "notification":
            continue
        recipient = str(event.payload.get("recipient", ""))
        for channel in channels:
            for address in contacts.addresses(channel, recipient):
                words = mail.notification(event.payload, settings.event_names,
                                          department_name(recipient), settings.time_zone,
                                          event.created_at)
                session.add(_message(f"n:{event.id}:{channel}:{address}", channel,
                                     "notification", recipient, address, words, now,
                                     due=held_until(event.payload, now), event_id=event.id,
                                     business_key=event.payload.get("business_key")))
                queued += 1
    return queued


def held_until(payload: Mapping[str, Any], now: datetime) -> datetime:
    """When a notification may go out: not before the recipient's working hours begin
    if the ladder held it (its `deliver_at`), else now."""
    held = payload.get("deliver_at")
    if not isinstance(held, str):
        return now
    try:
        deliver_at = datetime.fromisoformat(held)
    except ValueError:
        return now
    if deliver_at.tzinfo is None:
        deliver_at = deliver_at.replace(tzinfo=now.tzinfo)
    return max(now, deliver_at)


def digest_day(now: datetime, settings: MessageSettings) -> str | None:
    """The local day whose digest is due by `now` (None: not yet, or no digest)."""
    if settings.digest_at is None:
        return None
    local = now.astimezone(settings.time_zone)
    return local.strftime("%Y-%m-%d") if local.time() >= settings.digest_at else None


def queue_digest(session: Session, day: str, stages: list[dict[str, Any]], contacts: Contacts,
                 channels: Iterable[str], department_name: Callable[[str], str],
                 supervisor_of: Callable[[str], str], now: datetime) -> int:
    """One digest per department with stages at risk, to it and its supervisor, once
    per day (a second worker's attempt finds them queued). Returns how many."""
    by_department: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stage in stages:
        by_department[stage["department"]].append(stage)
    queued = 0
    for department, its_stages in sorted(by_department.items()):
        words = mail.digest(its_stages, department_name(department), day)
        for recipient in dict.fromkeys((department, supervisor_of(department))):
            for channel in channels:
                for address in contacts.addresses(channel, recipient):
                    key = f"d:{day}:{department}:{channel}:{address}"
                    if session.scalar(select(OutgoingMessage.id)
                                      .where(OutgoingMessage.dedupe_key == key)):
                        continue
                    session.add(_message(key, channel, "digest", recipient, address, words,
                                         now))
                    queued += 1
    try:
        session.flush()
    except IntegrityError:  # another worker queued the day's digest at the same moment
        raise DigestRace() from None
    return queued


class DigestRace(Exception):
    pass


def _message(key: str, channel: str, kind: str, recipient: str, address: str,
             words: mail.Rendered, now: datetime, *, due: datetime | None = None,
             event_id: int | None = None,
             business_key: str | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        dedupe_key=key, channel=channel, kind=kind, recipient=recipient, address=address,
        subject=words.subject, text=words.text,
        html=words.html if channel == "email" else None, event_id=event_id,
        business_key=business_key, state="pending", attempts=0, next_attempt_at=due or now,
        created_at=now)


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    channel: str
    address: str
    subject: str
    text: str
    html: str | None


def claim_messages(session: Session, channel: str, worker_id: str, now: datetime,
                   lease_until: datetime, limit: int) -> list[ClaimedMessage]:
    rows = session.scalars(
        select(OutgoingMessage).where(
            OutgoingMessage.channel == channel, OutgoingMessage.state == "pending",
            OutgoingMessage.next_attempt_at <= now,
            OutgoingMessage.lease_expires_at.is_(None)
            | (OutgoingMessage.lease_expires_at < now))
        .order_by(OutgoingMessage.id).limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        row.lease_owner, row.lease_expires_at = worker_id, lease_until
    return [ClaimedMessage(r.id, r.channel, r.address, r.subject, r.text, r.html)
            for r in rows]


def send_message(channel: Channel, message: ClaimedMessage) -> str | None:
    """None if handed over, else the error."""
    try:
        channel.send(message.address, message.subject, message.text, message.html)
    except ChannelFailed as err:
        return short_error(str(err))
    return None


def record_message(session: Session, message_id: int, error: str | None, now: datetime,
                   policy: RetryPolicy) -> str:
    row = session.get(OutgoingMessage, message_id, with_for_update=True)
    if row is None:
        return "gone"
    row.attempts += 1
    row.lease_owner = row.lease_expires_at = None
    if error is None:
        row.state, row.sent_at, row.last_error = "sent", now, None
    else:
        row.last_error = error
        if policy.gives_up(row.attempts):
            row.state = "dead"
            open_incident(session, kind=MESSAGE, subject_id=str(row.id), instance_id=None,
                          business_key=row.business_key, attempts=row.attempts, error=error,
                          now=now)
        else:
            row.next_attempt_at = now + policy.delay(row.attempts)
    return row.state


def retry_message(session: Session, incident: Any, now: datetime) -> None:
    row = session.get(OutgoingMessage, int(incident.subject_id), with_for_update=True)
    if row is not None and row.state == "dead":
        row.state, row.attempts, row.next_attempt_at = "pending", 0, now
        row.lease_owner = row.lease_expires_at = None
