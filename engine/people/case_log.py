"""The case log of a work order: internal work notes, interim replies to the customer
(阶段回复) and contacts with the customer (called, not reached, SMS sent), each with its
time and author; and the rule that an open order needs a contact every so often
(data/people.json contacts.every), with the orders past it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from engine.definitions.forms import FieldError, FormValidationError
from engine.people.models import CaseEntry
from engine.process_engine import ProcessEngine
from engine.runtime.step import append_timeline
from engine.store.models import ProcessInstance
from engine.workorders.errors import WorkOrderNotFound
from engine.workorders.models import WorkOrder

NOTE, INTERIM_REPLY, CONTACT = "note", "interim_reply", "contact"
KINDS = (NOTE, INTERIM_REPLY, CONTACT)
OUTCOMES = ("called", "not_reached", "sms_sent")
# What the customer's side (an integrator) may read of the log.
CUSTOMER_FACING = (INTERIM_REPLY,)


@dataclass(frozen=True)
class ContactDue:
    number: str
    acceptance_department: str
    last_contact_at: datetime | None
    due_at: datetime
    overdue_seconds: float


class CaseLog:
    def __init__(self, engine: ProcessEngine, contact_every: timedelta | None) -> None:
        self.engine = engine
        self.contact_every = contact_every

    def add(self, number: str, fields: dict[str, Any], author: str,
            department: str | None) -> CaseEntry:
        """Record an entry (kind, text, outcome, at); each bad field is named. A timeline
        entry says it happened (the text of an internal note stays in the log)."""
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            order = session.get(WorkOrder, number)
            if order is None:
                raise WorkOrderNotFound(number)
            at = fields.get("at") or now
            if errors := _problems(fields, at, now, order.submitted_at):
                raise FormValidationError("case log", errors)
            entry = CaseEntry(number=number, kind=fields["kind"], outcome=fields.get("outcome"),
                              text=fields.get("text"), at=at, recorded_at=now, author=author,
                              department=department)
            session.add(entry)
            detail: dict[str, Any] = {"at": at.isoformat()}
            if entry.outcome:
                detail["outcome"] = entry.outcome
            if entry.kind in CUSTOMER_FACING:
                detail["text"] = entry.text
            append_timeline(session, order.instance_id, f"case_{entry.kind}", now,
                            actor=author, department=department, detail=detail)
            return entry

    def entries(self, number: str, kinds: tuple[str, ...] = KINDS) -> list[CaseEntry]:
        with self.engine.reading() as session:
            return list(session.scalars(select(CaseEntry).where(
                CaseEntry.number == number, CaseEntry.kind.in_(kinds))
                .order_by(CaseEntry.at, CaseEntry.id)))

    def contact_state(self, order: WorkOrder) -> dict[str, Any]:
        """When the customer was last contacted, and when the next contact is due."""
        with self.engine.reading() as session:
            last = session.scalar(select(func.max(CaseEntry.at)).where(
                CaseEntry.number == order.number, CaseEntry.kind == CONTACT))
            running = session.scalar(select(ProcessInstance.status).where(
                ProcessInstance.id == order.instance_id)) == "running"
        due = (last or order.submitted_at) + self.contact_every \
            if self.contact_every is not None and running else None
        return {"every": self.contact_every, "last_contact_at": last, "due_at": due,
                "overdue": due is not None and self.engine.clock.now() > due}

    def contacts_due(self, acceptance_department: str | None = None) -> list[ContactDue]:
        """Open orders whose customer has not been contacted for longer than the rule
        asks (since submission, or since the last contact), longest overdue first."""
        if self.contact_every is None:
            return []
        now = self.engine.clock.now()
        last = (select(CaseEntry.number, func.max(CaseEntry.at).label("at"))
                .where(CaseEntry.kind == CONTACT).group_by(CaseEntry.number).subquery())
        since = func.coalesce(last.c.at, WorkOrder.submitted_at)
        query = (select(WorkOrder.number, WorkOrder.acceptance_department, last.c.at, since)
                 .join(ProcessInstance, ProcessInstance.id == WorkOrder.instance_id)
                 .outerjoin(last, last.c.number == WorkOrder.number)
                 .where(ProcessInstance.status == "running",
                        since < now - self.contact_every)
                 .order_by(since, WorkOrder.number))
        if acceptance_department is not None:
            query = query.where(WorkOrder.acceptance_department == acceptance_department)
        with self.engine.reading() as session:
            rows = session.execute(query).all()
        return [ContactDue(number, department, last_at, due := start + self.contact_every,
                           (now - due).total_seconds())
                for number, department, last_at, start in rows]


def _problems(fields: dict[str, Any], at: datetime, now: datetime,
              submitted_at: datetime) -> list[FieldError]:
    kind, outcome, text = fields.get("kind"), fields.get("outcome"), fields.get("text")
    errors = []
    if kind not in KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(KINDS)}"))
    if kind == CONTACT and outcome not in OUTCOMES:
        errors.append(FieldError("outcome", f"a contact's outcome is one of "
                                            f"{', '.join(OUTCOMES)}"))
    if kind != CONTACT and outcome is not None:
        errors.append(FieldError("outcome", "only a contact has an outcome"))
    if kind in (NOTE, INTERIM_REPLY) and not (isinstance(text, str) and text.strip()):
        errors.append(FieldError("text", "is required for a note or an interim reply"))
    if at > now:
        errors.append(FieldError("at", "is in the future"))
    elif at < submitted_at:
        errors.append(FieldError("at", "is before the order was submitted"))
    return errors
