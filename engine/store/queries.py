"""Read-side queries: inboxes and instance lists, filtered and paginated."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine.store.models import (
    INBOX_ORDER,
    DecisionDefinition,
    HumanTask,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    Timer,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page


@dataclass(frozen=True)
class TaskFilter:
    state: str | None = "open"
    department: str | None = None
    assignee: str | None = None
    unassigned: bool | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    business_key: str | None = None
    process_key: str | None = None
    instance_id: str | None = None
    # This assignee's tasks and those nobody has (a person's inbox).
    assignee_or_unassigned: str | None = None


@dataclass(frozen=True)
class InstanceFilter:
    business_key: str | None = None
    process_key: str | None = None
    status: str | None = None
    started_by: str | None = None


@dataclass(frozen=True)
class NotificationFilter:
    recipients: tuple[str, ...] | None = None  # None: everyone's (an administrator)
    unread: bool | None = None
    event: str | None = None
    business_key: str | None = None


def search_tasks(
    session: Session, where: TaskFilter, now: datetime, page: int, per_page: int
) -> Page[HumanTask]:
    """Tasks matching `where`, soonest due first (tasks without a limit last)."""
    query = _where_equal(select(HumanTask), {
        HumanTask.state: where.state,
        HumanTask.department: where.department,
        HumanTask.assignee: where.assignee,
        HumanTask.business_key: where.business_key,
        HumanTask.definition_key: where.process_key,
        HumanTask.instance_id: where.instance_id,
    })
    if where.unassigned is not None:
        query = query.where(HumanTask.assignee.is_(None) if where.unassigned
                            else HumanTask.assignee.is_not(None))
    if where.assignee_or_unassigned is not None:
        query = query.where((HumanTask.assignee == where.assignee_or_unassigned)
                            | HumanTask.assignee.is_(None))
    if where.overdue is True:
        query = query.where(HumanTask.due_at < now)
    elif where.overdue is False:
        query = query.where((HumanTask.due_at >= now) | HumanTask.due_at.is_(None))
    if where.due_before is not None:
        query = query.where(HumanTask.due_at < where.due_before)
    query = query.order_by(*INBOX_ORDER)
    return paginate(session, query, page, per_page)


def search_instances(
    session: Session, where: InstanceFilter, page: int, per_page: int
) -> Page[ProcessInstance]:
    """Instances matching `where`, most recently started first."""
    query = _where_equal(select(ProcessInstance), {
        ProcessInstance.business_key: where.business_key,
        ProcessInstance.definition_key: where.process_key,
        ProcessInstance.status: where.status,
        ProcessInstance.started_by: where.started_by,
    })
    query = query.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id)
    return paginate(session, query, page, per_page)


def search_notifications(
    session: Session, where: NotificationFilter, page: int, per_page: int,
    now: datetime | None = None,
) -> Page[Notification]:
    """Notifications matching `where`, newest first; with `now`, none held beyond it."""
    query = _where_equal(select(Notification), {
        Notification.event: where.event,
        Notification.business_key: where.business_key,
    })
    if now is not None:
        query = query.where(Notification.deliver_at.is_(None) | (Notification.deliver_at <= now))
    if where.recipients is not None:
        query = query.where(Notification.recipient.in_(where.recipients))
    if where.unread is not None:
        query = query.where(Notification.read_at.is_(None) if where.unread
                            else Notification.read_at.is_not(None))
    return paginate(session, query.order_by(Notification.id.desc()), page, per_page)


def due_timers(now: datetime, limit: int) -> Select:
    """Pending timers due before `now` that no live lease holds, soonest first, locked
    for this transaction and skipped by others (SKIP LOCKED on PostgreSQL)."""
    return (
        select(Timer)
        .where(Timer.state == "pending", Timer.due_at < now, Timer.suspended.is_(False),
               (Timer.lease_expires_at.is_(None)) | (Timer.lease_expires_at < now))
        .order_by(Timer.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def latest_definitions(
    session: Session,
    model: type[ProcessDefinition] | type[DecisionDefinition] = ProcessDefinition,
) -> list[tuple]:
    """The newest version of every key (of processes, or of `model`), with how many
    versions the key has."""
    newest = (
        select(model.key, func.max(model.version).label("version"),
               func.count().label("versions"))
        .group_by(model.key)
        .subquery()
    )
    rows = session.execute(
        select(model, newest.c.versions)
        .join(newest, (model.key == newest.c.key) & (model.version == newest.c.version))
        .order_by(model.key)
    )
    return [(definition, versions) for definition, versions in rows]


def _where_equal(query: Select, filters: dict) -> Select:
    """Add `column == value` for every filter that was given (not None)."""
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    return query


def paginate(session: Session, query: Select, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total or 0, page, per_page)
