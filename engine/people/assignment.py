"""Assigning stages to people: a supervisor assigns or reassigns an open stage of its
department to one of the department's handlers; a completion (a dispatch) may name the
handler who takes the stage it opens. Claiming (engine/runtime/commands.py) stays."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.people.accounts import DEPARTMENT_ROLES
from engine.people.errors import AssigneeInvalid, NotASupervisor
from engine.people.models import Staff
from engine.process_engine import ProcessEngine
from engine.runtime.commands import Completion, open_task
from engine.runtime.step import append_timeline
from engine.store.models import HumanTask

ASSIGNED = "assigned"


@dataclass(frozen=True)
class Assigner:
    """Who assigns: a staff member (their id), or an administrator."""

    actor: str
    department: str | None  # the department they act for (None: an administrator)
    admin: bool = False


class Assignment:
    def __init__(self, engine: ProcessEngine) -> None:
        self.engine = engine

    def assign(self, task_id: str, staff_id: str, by: Assigner) -> HumanTask:
        """Make `staff_id` the assignee of the open stage `task_id` (reassigning it if
        someone has it). Only a supervisor of the stage's department, or an
        administrator, assigns; only a handler of that department takes it."""
        with self.engine.transaction() as session:
            human = open_task(session, task_id, None if by.admin else by.department,
                              lock=True)
            if not by.admin:
                supervisor = session.get(Staff, by.actor)
                if supervisor is None or not supervisor.has_role("supervisor") \
                        or not supervisor.works_in(human.department):
                    raise NotASupervisor(human.department)
            _check_handler(session, staff_id, human.department, "staff_id")
            self._assign(session, human, staff_id, by.actor)
            return human

    def complete_and_assign(self, task_id: str, data: dict[str, Any], actor: str, *,
                            department: str | None, next_assignee: str) -> Completion:
        """Complete the stage and give the stage it opens in `next_assignee`'s department
        to them, in one unit of work: a handler who cannot take any stage opened
        leaves the completion undone."""
        commands = self.engine.commands
        checked = commands.check_completion(task_id, data, department=department)
        with self.engine.transaction() as session:
            step = commands.complete_task_in(session, task_id, data, actor,
                                             department=department, checked=checked)
            opened = sorted((row for row in step.open_task_rows().values()
                             if row.state == "open" and row.id != task_id),
                            key=lambda row: (row.created_at, row.id))
            person = session.get(Staff, next_assignee)
            taken = [row for row in opened if person is not None
                     and _may_take(person, row.department)]
            if not taken:
                where = ", ".join(sorted({row.department for row in opened})) or "none"
                raise AssigneeInvalid("next_assignee", f"{next_assignee!r} is no handler of "
                                      f"a department the order goes to now ({where})")
            for row in taken:
                self._assign(session, row, next_assignee, actor)
            return Completion(step.open_task_rows()[task_id], opened)

    def _assign(self, session: Session, human: HumanTask, staff_id: str, actor: str) -> None:
        previous = human.assignee
        human.assignee = staff_id
        append_timeline(session, human.instance_id, ASSIGNED, self.engine.clock.now(),
                        actor=actor, stage=human.stage, department=human.department,
                        detail={"assignee": staff_id, "previous_assignee": previous})


def _may_take(person: Staff, department: str) -> bool:
    return person.disabled_at is None and person.works_in(department) and any(
        person.has_role(role) for role in DEPARTMENT_ROLES)


def _check_handler(session: Session, staff_id: str, department: str, field: str) -> None:
    person = session.get(Staff, staff_id)
    if person is None or not _may_take(person, department):
        raise AssigneeInvalid(field, f"{staff_id!r} is no active handler of {department!r}")

