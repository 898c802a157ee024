"""Repeat complaints (重复投诉): at intake, the same customer's orders within the repeat
window (data/settings.json "repeats") are counted and the latest linked; the desk sees
them with the order; from the threshold on the acceptance supervisor is told.

Intakes of one customer number are serialised (a row lock on PostgreSQL; SQLite has one
writer), so two complaints arriving together each count the other once."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from engine.reference.categories import under
from engine.reference.directory import Directory
from engine.reference.outcome_settings import RepeatSettings
from engine.runtime.notifications import notify
from engine.runtime.sandbox import format_duration
from engine.runtime.step import append_timeline
from engine.store.models import ProcessInstance
from engine.workorders.models import WorkOrder

REPEAT_EVENT = "repeat_complaint"
MOST_LINKED = 20  # earlier orders named on the timeline; the count has them all


@dataclass(frozen=True)
class Repeats:
    """The customer's earlier orders in the window, newest first."""

    earlier: list[str]

    @property
    def count(self) -> int:
        return len(self.earlier)

    @property
    def latest(self) -> str | None:
        return self.earlier[0] if self.earlier else None


def earlier_orders(session: Session, settings: RepeatSettings, phone: str, category: str,
                   before: datetime, *, exclude: str | None = None) -> list[WorkOrder]:
    """The orders of `phone` submitted within the window before `before` (of the same
    business with same_business), newest first."""
    query = select(WorkOrder).where(
        WorkOrder.customer_phone == phone, WorkOrder.submitted_at > before - settings.window,
        WorkOrder.submitted_at <= before)
    if exclude is not None:
        query = query.where(WorkOrder.number != exclude)
    if settings.same_business:
        query = query.where(under(WorkOrder.category, category.split("/")[0]))
    return list(session.scalars(query.order_by(WorkOrder.submitted_at.desc(),
                                               WorkOrder.number.desc())))


def find_repeats(session: Session, settings: RepeatSettings, phone: str, category: str,
                 now: datetime) -> Repeats:
    """Count the customer's earlier orders for a new one, holding the customer's lock
    until the transaction ends (call it before the new order is recorded)."""
    _serialise(session, phone)
    return Repeats([order.number for order in earlier_orders(
        session, settings, phone, category, now)])


def record_repeat(session: Session, order: WorkOrder, instance: ProcessInstance,
                  repeats: Repeats, settings: RepeatSettings, directory: Directory | None,
                  now: datetime, actor: str) -> None:
    """Flag and link the new order, put it on its timeline and, from the threshold on,
    tell the acceptance department's supervisor."""
    if not repeats.count:
        return
    order.repeat_count, order.repeat_of = repeats.count, repeats.latest
    window = format_duration(settings.window)
    linked = repeats.earlier[:MOST_LINKED]
    detail = {"count": repeats.count, "earlier": linked, "window": window}
    append_timeline(session, instance.id, REPEAT_EVENT, now, actor=actor,
                    department=order.acceptance_department, detail=detail)
    if repeats.count < settings.notify_supervisor_at:
        return
    supervisor = (directory.supervisor_of(order.acceptance_department) if directory
                  else order.acceptance_department)
    notify(session, instance, [supervisor], event=REPEAT_EVENT, now=now,
           department=order.acceptance_department, detail=detail,
           message=(f"Repeat complaint {order.number}: {repeats.count} earlier complaints "
                    f"of the customer within {window} ({', '.join(linked)})"))


def _serialise(session: Session, phone: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"repeat/{phone}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": int.from_bytes(digest[:8], "big", signed=True)})
