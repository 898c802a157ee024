"""The customer's demand and the remedy granted, as coded fields, and the refund audit
(退费稽核): a refund above the threshold (data/people.json remedies) must be approved, for
that amount, by a second person before the stages named there (the feedback to the
customer) can be completed."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Conflict, Forbidden
from engine.people.models import OrderRemedy, RefundAudit
from engine.process_engine import ProcessEngine
from engine.runtime.step import append_timeline
from engine.store.models import HumanTask, ProcessInstance
from engine.workorders.models import WorkOrder, find_order

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")


class RefundAuditPending(Conflict):
    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"work order {number} needs a refund audit first: {reason}")


class NoRefundToAudit(Conflict):
    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"work order {number} has no refund to audit: {reason}")


class Remedies:
    def __init__(self, engine: ProcessEngine, demands: tuple[str, ...],
                 threshold: Decimal | None, before_stages: tuple[str, ...]) -> None:
        self.engine = engine
        self.demands = demands
        self.threshold = threshold
        self.before_stages = before_stages

    def put(self, number: str, fields: dict[str, Any], actor: str,
            department: str | None) -> OrderRemedy:
        """Record (or change) the demand and remedy of an open order; a change voids an
        earlier refund audit (the audit approves an amount)."""
        if errors := self._problems(fields):
            raise FormValidationError("remedy", errors)
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            order = _open_order(session, number)
            remedy = session.get(OrderRemedy, number, with_for_update=True)
            if remedy is None:
                remedy = OrderRemedy(number=number)
                session.add(remedy)
            remedy.demands = sorted(set(fields.get("demands") or []))
            remedy.refund_amount = _amount(fields.get("refund_amount"))
            remedy.compensation_amount = _amount(fields.get("compensation_amount"))
            remedy.apology = bool(fields.get("apology", False))
            remedy.note = fields.get("note")
            remedy.recorded_by, remedy.department, remedy.recorded_at = actor, department, now
            append_timeline(session, order.instance_id, "remedy_recorded", now, actor=actor,
                            department=department, detail={
                                "demands": remedy.demands,
                                "refund_amount": str(remedy.refund_amount),
                                "compensation_amount": str(remedy.compensation_amount),
                                "apology": remedy.apology,
                                "refund_audit_needed": self._audit_needed(remedy)})
            return remedy

    def get(self, number: str) -> tuple[OrderRemedy | None, list[RefundAudit], str | None]:
        """The remedy, its refund audits, and why feedback must wait (None: it need not)."""
        with self.engine.reading() as session:
            remedy = session.get(OrderRemedy, number)
            audits = list(session.scalars(select(RefundAudit).where(
                RefundAudit.number == number).order_by(RefundAudit.id)))
            return remedy, audits, self._pending(session, number)

    def audit(self, number: str, approved: bool, note: str | None, actor: str,
              department: str | None, *, person: bool) -> RefundAudit:
        """A second person approves (or refuses) the refund as recorded now."""
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            order = _open_order(session, number)
            remedy = session.get(OrderRemedy, number, with_for_update=True)
            if remedy is None or not self._audit_needed(remedy):
                raise NoRefundToAudit(number, "no refund above the threshold "
                                              f"({self.threshold}) is recorded")
            if not person:
                raise Forbidden("a refund audit is a person's: log in (POST /api/v1/sessions)")
            if actor == remedy.recorded_by:
                raise Forbidden(f"{actor} recorded the refund; a second person audits it")
            row = RefundAudit(number=number, refund_amount=remedy.refund_amount,
                              approved=approved, note=note, audited_by=actor,
                              department=department, audited_at=now)
            session.add(row)
            append_timeline(session, order.instance_id, "refund_audited", now, actor=actor,
                            department=department, detail={
                                "approved": approved, "refund_amount": str(row.refund_amount),
                                "note": note})
            return row

    def check_completion(self, task_id: str, stage: str | None = None) -> None:
        """RefundAuditPending when `task_id` is a stage the refund audit must come
        before, of an order whose refund has not been approved as it stands. `stage`:
        the task's stage when the caller has read it (no other stage needs a look)."""
        if not self.before_stages or (stage is not None and stage not in self.before_stages):
            return
        with self.engine.reading() as session:
            number = session.scalar(
                select(WorkOrder.number).join(HumanTask,
                                              HumanTask.instance_id == WorkOrder.instance_id)
                .where(HumanTask.id == task_id, HumanTask.stage.in_(self.before_stages)))
            reason = self._pending(session, number) if number is not None else None
        if number is not None and reason is not None:
            raise RefundAuditPending(number, reason)

    def _pending(self, session: Session, number: str) -> str | None:
        remedy = session.get(OrderRemedy, number)
        if remedy is None or not self._audit_needed(remedy):
            return None
        last = session.scalars(select(RefundAudit).where(RefundAudit.number == number)
                               .order_by(RefundAudit.id.desc()).limit(1)).first()
        if last is None or last.refund_amount != remedy.refund_amount:
            return (f"the refund of {remedy.refund_amount} is above {self.threshold} and no "
                    "second person has audited it")
        if not last.approved:
            return f"the refund audit by {last.audited_by} did not approve it"
        return None

    def _audit_needed(self, remedy: OrderRemedy) -> bool:
        return self.threshold is not None and remedy.refund_amount > self.threshold

    def _problems(self, fields: dict[str, Any]) -> list[FieldError]:
        errors = []
        for index, demand in enumerate(fields.get("demands") or []):
            if demand not in self.demands:
                errors.append(FieldError(f"demands.{index}", f"{demand!r} is not one of "
                                                             f"{', '.join(self.demands)}"))
        for name in ("refund_amount", "compensation_amount"):
            value = fields.get(name)
            if value is None:
                continue
            amount = Decimal(str(value)) if isinstance(value, int | float | Decimal) \
                and not isinstance(value, bool) else None
            if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT \
                    or amount != amount.quantize(CENT):
                errors.append(FieldError(name, "must be an amount from 0 to "
                                               f"{MAX_AMOUNT}, in cents at most"))
        return errors


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT) if value is not None else Decimal("0.00")


def _open_order(session: Session, number: str) -> WorkOrder:
    order = find_order(session, number)
    status = session.scalar(select(ProcessInstance.status).where(
        ProcessInstance.id == order.instance_id))
    if status != "running":
        raise Conflict(f"work order {number} is {status}")
    return order
