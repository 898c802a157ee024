"""Notifications: one row per recipient, read over the API, each also queued in the
outbox, always in the transaction of the change that caused it."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from engine.reference.directory import MANAGEMENT, Directory
from engine.runtime.sandbox import lane_variable
from engine.runtime.serialization import to_json_safe
from engine.store.models import Notification, OutboxEvent, ProcessInstance

# What a rule may name as recipients besides a lane (the department working that lane
# in the instance) and a department id (data/departments.json gives the supervisors).
AUDIENCES = ("department", "supervisor", "management", "holders")


@dataclass(frozen=True)
class Audience:
    """Whom each symbolic recipient means for one event of one instance."""

    department: str | None  # the department the event concerns
    # lane (lower case) -> the department working it in this instance, None if none yet
    lanes: Mapping[str, str | None] = field(default_factory=dict)
    holders: tuple[str, ...] = ()  # departments holding the instance's open stages now


def lane_departments(lanes: Iterable[str],
                     variables: Mapping[str, Any]) -> dict[str, str | None]:
    """The department working each of the process's `lanes`, from the instance's
    `<lane>_department` variables (the submission, a dispatch form or a transfer set
    them); None for a lane no department works yet."""
    found: dict[str, str | None] = {}
    for lane in lanes:
        value = variables.get(lane_variable(lane))
        found[lane.lower()] = value if isinstance(value, str) and value else None
    return found


def recipients(names: Iterable[str], audience: Audience, directory: Directory | None) -> list[str]:
    """Concrete recipients, in order, without repeats: a lane's name means the department
    working it (e.g. `acceptance`); any other name is a department id written into the
    rule."""
    found: list[str | None] = []  # an audience may lack a department; dropped below
    for name in names:
        if name == "department":
            found.append(audience.department)
        elif name == "supervisor" and audience.department:
            found.append(directory.supervisor_of(audience.department) if directory
                         else MANAGEMENT)
        elif name == "management":
            found.append(MANAGEMENT)
        elif name.lower() in audience.lanes:  # None: nobody works that lane yet
            found.append(audience.lanes[name.lower()])
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
    hold: Callable[[str], datetime | None] | None = None,
) -> None:
    """`hold` gives, per recipient, when it reaches them (None: at once)."""
    detail = to_json_safe(detail or {})
    for recipient in to:
        deliver_at = hold(recipient) if hold is not None else None
        session.add(Notification(
            recipient=recipient, instance_id=instance.id, business_key=instance.business_key,
            event=event, stage=stage, department=department, message=message, detail=detail,
            created_at=now, deliver_at=deliver_at))
        session.add(OutboxEvent(
            instance_id=instance.id, type="notification", created_at=now,
            payload={"recipient": recipient, "event": event, "message": message,
                     "business_key": instance.business_key, "process": instance.definition_key,
                     "stage": stage, "department": department, **detail,
                     **({"deliver_at": deliver_at.isoformat()} if deliver_at else {})}))


def mark_read(session: Session, ids: list[int] | None, recipients_seen: list[str] | None,
              reader: str, now: datetime) -> int:
    """Mark unread notifications read (`ids`, or all); only those of `recipients_seen`
    unless it is None (admin). Returns how many changed."""
    statement = (update(Notification).where(
        Notification.read_at.is_(None),
        Notification.deliver_at.is_(None) | (Notification.deliver_at <= now))  # not held
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
                         recipients_seen: list[str] | None,
                         now: datetime | None = None) -> Notification | None:
    """With `now`, a notification held beyond it is not there yet (runtime/holding.py)."""
    if not 0 < notification_id < 2**31:  # beyond any id the column holds
        return None
    query = select(Notification).where(Notification.id == notification_id)
    if now is not None:
        query = query.where(Notification.deliver_at.is_(None)
                            | (Notification.deliver_at <= now))
    if recipients_seen is not None:
        query = query.where(Notification.recipient.in_(recipients_seen))
    return session.scalar(query)
