"""Data submitted to a form (a start, a completion) checked before anything runs."""
from __future__ import annotations

from typing import Any

from engine.definitions.forms import FieldError, FormValidationError, validate_form_data
from engine.reference.directory import Directory
from engine.runtime.sandbox import LANE_SUFFIX


def check_form_data(form: str, schema: dict | None, data: dict[str, Any],
                    directory: Directory | None) -> None:
    """`data` against the form's schema, and every `<lane>_department` field against the
    directory (when there is one); FormValidationError lists every problem."""
    errors: list[FieldError] = []
    if schema is not None:
        try:
            validate_form_data(form, schema, data)
        except FormValidationError as err:
            errors.extend(err.errors)
    if directory is not None and isinstance(data, dict):
        errors.extend(_department_errors(data, directory))
    if errors:
        raise FormValidationError(form, errors)


def _department_errors(data: dict[str, Any], directory: Directory) -> list[FieldError]:
    """A `<lane>_department` names a department of the directory that works that lane
    (its roles name the lane) — a supervising unit does not accept complaints, and an
    acceptance desk does not handle them."""
    errors = []
    for name, value in data.items():
        if not name.endswith(LANE_SUFFIX) or not isinstance(value, str):
            continue
        entry = directory.get(value)
        lane = name.removesuffix(LANE_SUFFIX)
        if entry is None:
            errors.append(FieldError(name, f"{value!r} is not a department in the directory"))
        elif entry.roles and lane not in entry.roles:
            errors.append(FieldError(name, f"{value!r} does not work the {lane} lane (its "
                                           f"roles: {', '.join(entry.roles)})"))
    return errors
