"""Reading instances, their tasks, timers, timeline and notifications (no changes but
marking notifications read)."""
from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import InstanceNotFound, TaskNotFound
from engine.runtime.notifications import mark_read, visible_notification
from engine.store.models import HumanTask, Notification, ProcessInstance, TimelineEvent, Timer
from engine.store.queries import (
    InstanceFilter,
    NotificationFilter,
    Page,
    TaskFilter,
    search_instances,
    search_notifications,
    search_tasks,
)
from engine.store.unit_of_work import UnitsOfWork


class Reads:
    def __init__(self, uow: UnitsOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    def search_tasks(self, where: TaskFilter, page: int = 1, per_page: int = 20) -> Page:
        with self.uow.reading() as session:
            return search_tasks(session, where, self.clock.now(), page, per_page)

    def search_instances(self, where: InstanceFilter, page: int = 1, per_page: int = 20) -> Page:
        with self.uow.reading() as session:
            return search_instances(session, where, page, per_page)

    def search_notifications(self, where: NotificationFilter, page: int = 1,
                             per_page: int = 20) -> Page:
        with self.uow.reading() as session:
            return search_notifications(session, where, page, per_page, self.clock.now())

    def notification(self, notification_id: int,
                     recipients_seen: list[str] | None) -> Notification | None:
        """One notification, if it is addressed to one of `recipients_seen` (None: any)."""
        with self.uow.reading() as session:
            return visible_notification(session, notification_id, recipients_seen,
                                        self.clock.now())

    def get_task(self, task_id: str) -> HumanTask:
        with self.uow.reading() as session:
            task = session.get(HumanTask, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            return task

    def department_involved(self, instance_id: str, department: str) -> bool:
        """Whether `department` holds or held a stage of the instance."""
        with self.uow.reading() as session:
            return bool(session.scalar(select(exists().where(
                HumanTask.instance_id == instance_id, HumanTask.department == department
            ))))

    def get_instance(self, instance_id: str) -> ProcessInstance:
        with self.uow.reading() as session:
            instance = session.get(ProcessInstance, instance_id)
            if instance is None:
                raise InstanceNotFound(instance_id)
            return instance

    def find_instance(self, key: str, business_key: str) -> ProcessInstance | None:
        with self.uow.reading() as session:
            return session.scalars(select(ProcessInstance).where(
                ProcessInstance.definition_key == key,
                ProcessInstance.business_key == business_key,
            )).first()

    def timeline(self, instance_id: str) -> list[TimelineEvent]:
        with self.uow.reading() as session:
            return list(session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.instance_id == instance_id)
                .order_by(TimelineEvent.id)
            ))

    def tasks(
        self,
        *,
        instance_id: str | None = None,
        department: str | None = None,
        state: str | None = "open",
    ) -> list[HumanTask]:
        with self.uow.reading() as session:
            return tasks_of(session, instance_id=instance_id, department=department,
                            state=state)

    def timers(self, instance_id: str, state: str | None = None) -> list[Timer]:
        query = select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.due_at)
        if state is not None:
            query = query.where(Timer.state == state)
        with self.uow.reading() as session:
            return list(session.scalars(query))

    def mark_notifications_read(self, ids: list[int] | None, recipients_seen: list[str] | None,
                                reader: str) -> int:
        """Mark `ids` (or every unread one) of `recipients_seen` read; how many changed."""
        with self.uow.transaction() as session:
            return mark_read(session, ids, recipients_seen, reader, self.clock.now())


def tasks_of(session: Session, *, instance_id: str | None = None,
             department: str | None = None, state: str | None = "open") -> list[HumanTask]:
    """Stages matching what is given, in the order they opened."""
    query = select(HumanTask).order_by(HumanTask.created_at, HumanTask.id)
    for column, value in ((HumanTask.instance_id, instance_id),
                          (HumanTask.department, department), (HumanTask.state, state)):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query))
