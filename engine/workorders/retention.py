"""Retention: closed orders older than a configured age are archived. Their saved
workflow state (the bulk of an order's bytes) is dropped, and so are their fired and
cancelled timer rows and their outbox events already delivered everywhere; the
timeline, the stage rows the reports read, the notifications and the order itself
stay, so every report and the order's page read the same afterwards. An archived
order cannot be moved again (it is closed)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select
from sqlalchemy.orm import Session

from engine.integrations.models import Delivery
from engine.process_engine import ProcessEngine
from engine.runtime.step import append_timeline
from engine.store.models import OutboxEvent, ProcessInstance, Timer
from engine.workorders.models import WorkOrder

ARCHIVED_STATE = ""  # ProcessInstance.state of an archived order (see Pipeline)
BATCH = 200


@dataclass(frozen=True)
class Archived:
    number: str
    ended_at: datetime
    state_bytes: int  # freed
    timers: int
    outbox_events: int


def archivable(session: Session, cutoff: datetime, limit: int) -> list[tuple[WorkOrder,
                                                                             ProcessInstance]]:
    return [(order, instance) for order, instance in session.execute(
        select(WorkOrder, ProcessInstance)
        .join(ProcessInstance, ProcessInstance.id == WorkOrder.instance_id)
        .where(ProcessInstance.status == "completed", ProcessInstance.ended_at < cutoff,
               ProcessInstance.state != ARCHIVED_STATE)
        .order_by(ProcessInstance.ended_at, ProcessInstance.id).limit(limit))]


def archive_closed_orders(engine: ProcessEngine, older_than: timedelta, *,
                          dry_run: bool = False) -> list[Archived]:
    """Archive every order closed more than `older_than` ago (`dry_run`: only say
    which, and what would go), in batches, each its own unit of work."""
    now = engine.clock.now()
    cutoff = now - older_than
    done: list[Archived] = []
    while True:
        with (engine.reading() if dry_run else engine.transaction()) as session:
            batch = archivable(session, cutoff, BATCH)
            if dry_run:
                return [_measure(session, order, instance) for order, instance in batch]
            for order, instance in batch:
                done.append(_archive(session, order, instance, now))
        if len(batch) < BATCH:
            return done


def _measure(session: Session, order: WorkOrder, instance: ProcessInstance) -> Archived:
    timers = session.scalar(select(func.count()).select_from(Timer)
                            .where(Timer.instance_id == instance.id)) or 0
    events = session.scalar(select(func.count()).select_from(OutboxEvent)
                            .where(_removable_events(instance.id))) or 0
    assert instance.ended_at is not None  # completed
    return Archived(order.number, instance.ended_at, len(instance.state.encode()), timers,
                    events)


def _archive(session: Session, order: WorkOrder, instance: ProcessInstance,
             now: datetime) -> Archived:
    measured = _measure(session, order, instance)
    locked = session.get(ProcessInstance, instance.id, with_for_update=True)
    assert locked is not None
    locked.state = ARCHIVED_STATE
    session.execute(delete(Timer).where(Timer.instance_id == instance.id)
                    .execution_options(synchronize_session=False))
    removable = select(OutboxEvent.id).where(_removable_events(instance.id))
    session.execute(delete(Delivery).where(Delivery.event_id.in_(removable))
                    .execution_options(synchronize_session=False))
    session.execute(delete(OutboxEvent).where(_removable_events(instance.id))
                    .execution_options(synchronize_session=False))
    append_timeline(session, instance.id, "archived", now, detail={
        "state_bytes": measured.state_bytes, "timers": measured.timers,
        "outbox_events": measured.outbox_events})
    return measured


def _removable_events(instance_id: str):
    """The instance's outbox events dispatched and with no delivery still to make."""
    return ((OutboxEvent.instance_id == instance_id) & OutboxEvent.dispatched_at.is_not(None)
            & ~exists().where(Delivery.event_id == OutboxEvent.id, Delivery.state == "pending"))
