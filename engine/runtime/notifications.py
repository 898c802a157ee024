"""Notifications: one row per recipient, read over the API, each also queued in the
outbox, always in the transaction of the change that caused it."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from engine.reference.directory import MANAGEMENT, Directory
from engine.runtime.serialization import to_json_safe
from engine.store.models import Notification, OutboxEvent, ProcessInstance

# What a rule may name as recipients (data/departments.json gives the supervisors).
AUDIENCES = ("department", "supervisor", "management", "acceptance", "holders")


@dataclass(frozen=True)
class Audience:
    """Whom each symbolic recipient means for one event of one order."""

    department: str | None  # the department the event concerns
    acceptance: str | None  # the order's acceptance department
    holders: tuple[str, ...] = ()  # departments holding the order's open stages now


def recipients(names: Iterable[str], audience: Audience, directory: Directory | None) -> list[str]:
    """Concrete recipients, in order, without repeats; any other name is taken as a
    department id written into the rule."""
    found: list[str | None] = []  # an audience may lack a department; dropped below
    for name in names:
        if name == "department":
            found.append(audience.department)
        elif name == "supervisor" and audience.department:
            found.append(directory.supervisor_of(audience.department) if directory
                         else MANAGEMENT)
        elif name == "management":
            found.append(MANAGEMENT)
        elif name == "acceptance":
            found.append(audience.acceptance)
        elif name == "holders":
            found.extend(audience.holders)
        elif name not in AUDIENCES:
            found.append(name)
    return list(dict.fromkeys(r for r in found if r))


def notify(
    session: Session,
    instance: ProcessInstance,
    to: Iterable[str],
    *,
    event: str,
    message: str,
    now: datetime,
    stage: str | None = None,
    department: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    detail = to_json_safe(detail or {})
    for recipient in to:
        session.add(Notification(
            recipient=recipient, instance_id=instance.id, business_key=instance.business_key,
            event=event, stage=stage, department=department, message=message, detail=detail,
            created_at=now))
        session.add(OutboxEvent(
            instance_id=instance.id, type="notification", created_at=now,
            payload={"recipient": recipient, "event": event, "message": message,
                     "business_key": instance.business_key, "process": instance.definition_key,
                     "stage": stage, "department": department, **detail}))


def mark_read(session: Session, ids: list[int] | None, recipients_seen: list[str] | None,
              reader: str, now: datetime) -> int:
    """Mark unread notifications read (`ids`, or all); only those of `recipients_seen`
    unless it is None (admin). Returns how many changed."""
    statement = (update(Notification).where(Notification.read_at.is_(None))
                 .values(read_at=now, read_by=reader))
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    if recipients_seen is not None:
        statement = statement.where(Notification.recipient.in_(recipients_seen))
    # An UPDATE's result is a CursorResult (rowcount), which Session.execute's typing hides.
    result = cast("CursorResult[Any]",
                  session.execute(statement.execution_options(synchronize_session=False)))
    return result.rowcount


def visible_notification(session: Session, notification_id: int,
                         recipients_seen: list[str] | None) -> Notification | None:
    if not 0 < notification_id < 2**31:  # beyond any id the column holds
        return None
    query = select(Notification).where(Notification.id == notification_id)
    if recipients_seen is not None:
        query = query.where(Notification.recipient.in_(recipients_seen))
    return session.scalar(query)
