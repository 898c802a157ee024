"""The Supervisor lane's department of a new order: the acceptance department's
supervising unit from the directory, unless the start names one."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.reference.directory import Directory

SUPERVISOR_VARIABLE = "supervisor_department"  # the Supervisor lane's department
ACCEPTANCE_VARIABLE = "acceptance_department"


def supervisor_default(
    directory: Directory | None,
) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """Start defaults (see runtime/starting.py) filling in the supervisor, where the
    start form has the field and the caller gave none: the acceptance department's
    supervising unit (the department itself when it has none)."""

    def fill_in(schema: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
        acceptance = variables.get(ACCEPTANCE_VARIABLE)
        if (SUPERVISOR_VARIABLE not in (schema.get("properties") or {})
                or variables.get(SUPERVISOR_VARIABLE) or directory is None
                or not isinstance(acceptance, str)):
            return variables
        entry = directory.get(acceptance)
        if entry is None:  # not in the directory
            return variables
        return {**variables, SUPERVISOR_VARIABLE: entry.supervisor or acceptance}

    return fill_in
