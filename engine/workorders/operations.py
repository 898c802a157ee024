"""What departments do to a work order: urge, transfer, send back, audit. Each is the
diagrams' own move (a transfer completes the handling stage with action "transfer", an
urge is the message the urge sub-process waits for), checked against the order's rules
and carried out in one unit of work."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Forbidden
from engine.process_engine import ProcessEngine
from engine.reference.settings import Settings
from engine.runtime.commands import CheckedData
from engine.runtime.reads import tasks_of
from engine.runtime.sandbox import lane_variable
from engine.runtime.step import Step
from engine.store.models import HumanTask, TimelineEvent
from engine.workorders.errors import NoStageFor, NothingToUrge
from engine.workorders.following import URGED
from engine.workorders.models import find_order

URGE_MESSAGE = "urge"


class Operations:
    engine: ProcessEngine
    settings: Settings

    def urge(self, number: str, department: str, actor: str, note: str | None = None) -> None:
        """The acceptance department presses the departments holding the order."""
        with self.engine.transaction() as session:
            order = find_order(session, number)
            if department != order.acceptance_department:
                raise Forbidden(f"only the acceptance department "
                                f"({order.acceptance_department}) urges work order {number}")
            step = self.engine.commands.lock(session, order.instance_id)
            self._check_urge(step, number, department)
            self.engine.commands.deliver(step, URGE_MESSAGE, {"note": note}, actor,
                                         department=department, reason=note)

    def _check_urge(self, step: Step, number: str, department: str) -> None:
        """The urge rules, on the locked order: someone else holds it, and it was not
        urged too often or too recently."""
        limits = self.settings.work_orders
        if step.instance.status != "running":
            raise NothingToUrge(number, "it is closed")
        holders = step.holders
        if not holders:
            raise NothingToUrge(number, "no department holds it now")
        if all(holder == department for holder in holders):
            raise NothingToUrge(number, "it is with your own department")
        count, last = step.session.execute(
            select(func.count(), func.max(TimelineEvent.at)).where(
                TimelineEvent.instance_id == step.instance.id,
                TimelineEvent.type == URGED)).one()
        if count >= limits.urge_max_per_order:
            raise NothingToUrge(number, f"it was urged {count} times, the most an order "
                                        "takes; call its supervisor")
        if last is not None and step.now - last < limits.urge_min_interval:
            again = last + limits.urge_min_interval
            raise NothingToUrge(number, f"it was urged at {last.isoformat()}; urge it "
                                        f"again from {again.isoformat()}")

    def transfer(self, number: str, department: str, actor: str, to_department: str,
                 reason: str) -> None:
        """Pass the order to another department, which starts with fresh clocks."""
        with self.engine.reading() as session:
            task = self._stage_offering(session, number, department, "transfer",
                                        "transferred")
            if to_department == department:
                raise FormValidationError("transfer", [FieldError(
                    "to_department", "is your own department; transfer to another one")])
            target = lane_variable(task.lane)
            data = {"action": "transfer", target: to_department, "reason": reason}
            renamed = {target: "to_department"}
            checked = self._check(session, task, data, renamed)
        self._complete(task, data, actor, department, checked, renamed)

    def send_back(self, number: str, department: str, actor: str, reason: str) -> None:
        """Return the order to the department that dispatched it."""
        data = {"action": "send_back", "reason": reason}
        with self.engine.reading() as session:
            task = self._stage_offering(session, number, department, "send_back",
                                        "sent back")
            checked = self._check(session, task, data)
        self._complete(task, data, actor, department, checked)

    def audit(self, number: str, department: str, actor: str, approved: bool,
              reason: str | None = None, reply_rating: int | None = None) -> None:
        """Accept the handling result, or reject it back to the processing department;
        optionally rate the reply's quality."""
        data = {"approved": approved, **({"reason": reason} if reason else {}),
                **({"reply_rating": reply_rating} if reply_rating is not None else {})}
        with self.engine.reading() as session:
            task = self._open_stage(session, number, department, "audited",
                                    lambda schema: "approved" in schema.get("properties", {}))
            checked = self._check(session, task, data)
        self._complete(task, data, actor, department, checked)

    def _check(self, session: Session, task: HumanTask, data: dict[str, Any],
               renamed: dict[str, str] | None = None) -> CheckedData:
        """The operation's data checked against the stage's form before any lock."""
        with _operation_fields(renamed):
            return self.engine.commands.check_task_data(session, task, data)

    def _complete(self, task: HumanTask, data: dict[str, Any], actor: str, department: str,
                  checked: CheckedData, renamed: dict[str, str] | None = None) -> None:
        """Complete the stage found; under the lock the completion finds out whether it
        is still open (a racing move: 409)."""
        with _operation_fields(renamed), self.engine.transaction() as session:
            self.engine.commands.complete_task_in(session, task.id, data, actor,
                                                  department=department, checked=checked)

    def _stage_offering(self, session: Session, number: str, department: str, action: str,
                        done: str) -> HumanTask:
        """The caller's open stage whose form offers `action`."""
        return self._open_stage(session, number, department, done, lambda schema: action in (
            (schema.get("properties", {}).get("action") or {}).get("enum") or ()))

    def _open_stage(self, session: Session, number: str, department: str, done: str,
                    fits) -> HumanTask:
        order = find_order(session, number)
        for task in tasks_of(session, instance_id=order.instance_id, department=department):
            if fits(self.engine.catalog.form_schema(task.definition_id, task.form) or {}):
                return task
        raise NoStageFor(number, department, done)


@contextmanager
def _operation_fields(renamed: dict[str, str] | None) -> Iterator[None]:
    """Form errors named by this operation's fields (to_department), not the form's."""
    try:
        yield
    except FormValidationError as err:
        renamed = renamed or {}
        raise FormValidationError(err.form, [
            FieldError(renamed.get(e.field, e.field), e.message) for e in err.errors
        ]) from None
