"""Assigning stages to people (engine/people/assignment.py), for the task endpoints."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from werkzeug.exceptions import UnprocessableEntity

from engine.people.assignment import Assigner, Assignment
from engine.people.errors import AssigneeInvalid
from engine.runtime.commands import Completion
from engine.store.models import HumanTask

from ..auth import current_principal
from .common import engine, own_department


def assignment() -> Assignment:
    found = current_app.extensions.get("assignment")
    if found is None:
        found = current_app.extensions["assignment"] = Assignment(engine())
    return found


def assign(task_id: str, staff_id: str) -> HumanTask:
    principal = current_principal()
    by = Assigner(principal.name, own_department(), admin=principal.is_admin)
    with _named_in_body():
        return assignment().assign(task_id, staff_id, by)


def assign_on_completion(task_id: str, data: dict, next_assignee: str) -> Completion:
    with _named_in_body():
        return assignment().complete_and_assign(
            task_id, data, current_principal().name, department=own_department(),
            next_assignee=next_assignee)


class _AssigneeRefused(UnprocessableEntity):
    def __init__(self, err: AssigneeInvalid) -> None:
        super().__init__(description=str(err))
        self.data = {"errors": [{"field": f"body.{err.field}", "message": err.reason}]}


@contextmanager
def _named_in_body() -> Iterator[None]:
    """AssigneeInvalid as a 422 naming the body's field."""
    try:
        yield
    except AssigneeInvalid as err:
        raise _AssigneeRefused(err) from None
