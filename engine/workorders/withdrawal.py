"""How a work order ends before its flow does: the customer withdraws it (the acceptance
department or the integrator that submitted it, with a reason), or a supervisor cancels
it as a duplicate of another. Every stage, limit and ladder rung stops; the order ends
as withdrawn or cancelled and the reports count it apart (neither on time nor late)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Forbidden
from engine.process_engine import ProcessEngine
from engine.runtime.termination import terminate
from engine.store.models import HumanTask, ProcessInstance
from engine.workorders.errors import WorkOrderNotFound
from engine.workorders.models import WorkOrder, find_order

WITHDRAWN, CANCELLED = "withdrawn", "cancelled"
ENDINGS = (WITHDRAWN, CANCELLED)


class Withdrawal:
    engine: ProcessEngine

    def withdraw(self, number: str, actor: str, reason: str, *,
                 department: str | None = None, integrator: str | None = None) -> None:
        """The customer withdraws the order, through its acceptance department or the
        integrator that submitted it."""
        with self.engine.transaction() as session:
            order = find_order(session, number)
            if department is not None and department != order.acceptance_department:
                raise Forbidden(f"only the acceptance department "
                                f"({order.acceptance_department}) withdraws work order "
                                f"{number} for the customer")
            if integrator is not None and integrator != order.submitted_by:
                raise WorkOrderNotFound(number)
            self._end(session, order, WITHDRAWN, actor, department, {"reason": reason})

    def cancel_duplicate(self, number: str, actor: str, department: str | None, reason: str,
                         duplicate_of: str, *, supervisor: bool, admin: bool = False) -> None:
        """A supervisor cancels the order as a duplicate of `duplicate_of`: a staff
        supervisor acting for the acceptance department or a department holding the
        order, or the acceptance department's supervising unit."""
        with self.engine.transaction() as session:
            order = find_order(session, number)
            if not admin and (department is None or
                              not self._supervises(session, order, department, supervisor)):
                raise Forbidden(f"only a supervisor of the acceptance department or of a "
                                f"department holding work order {number}, or its "
                                "supervising unit, cancels it")
            if duplicate_of == number or session.get(WorkOrder, duplicate_of) is None:
                raise FormValidationError("cancel", [FieldError(
                    "duplicate_of", f"{duplicate_of!r} is no other work order")])
            self._end(session, order, CANCELLED, actor, department,
                      {"reason": reason, "duplicate_of": duplicate_of})

    def _supervises(self, session: Session, order: WorkOrder, department: str,
                    supervisor: bool) -> bool:
        directory = self.engine.directory
        if directory is not None and \
                directory.supervisor_of(order.acceptance_department) == department:
            return True
        if not supervisor:
            return False
        return department == order.acceptance_department or bool(session.scalar(
            select(func.count()).select_from(HumanTask).where(
                HumanTask.instance_id == order.instance_id, HumanTask.state == "open",
                HumanTask.department == department)))

    def _end(self, session: Session, order: WorkOrder, status: str, actor: str,
             department: str | None, detail: dict[str, Any]) -> None:
        step = self.engine.commands.lock(session, order.instance_id)
        terminate(self.engine.pipeline, step, status=status, event=status, actor=actor,
                  department=department, detail=detail)

    def endings(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Orders withdrawn and cancelled in [start, end), per acceptance department."""
        with self.engine.reading() as session:
            rows = session.execute(
                select(ProcessInstance.status, WorkOrder.acceptance_department, func.count())
                .join(WorkOrder, WorkOrder.instance_id == ProcessInstance.id)
                .where(ProcessInstance.status.in_(ENDINGS), ProcessInstance.ended_at >= start,
                       ProcessInstance.ended_at < end)
                .group_by(ProcessInstance.status, WorkOrder.acceptance_department)).all()
        departments: dict[str, dict[str, int]] = {}
        for status, department, count in rows:
            departments.setdefault(department, dict.fromkeys(ENDINGS, 0))[status] = count
        return {"from": start, "to": end,
                "withdrawn": sum(c for s, _, c in rows if s == WITHDRAWN),
                "cancelled": sum(c for s, _, c in rows if s == CANCELLED),
                "departments": [{"department": department, **counts}
                                for department, counts in sorted(departments.items())]}
