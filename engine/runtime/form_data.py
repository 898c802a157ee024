"""Data submitted to a form (a start, a completion) checked before anything runs."""
from __future__ import annotations

from typing import Any

from engine.definitions.forms import FieldError, FormValidationError, validate_form_data
from engine.reference.code_lists import CodeLists
from engine.reference.directory import Directory
from engine.runtime.sandbox import LANE_SUFFIX

CODE_LIST_KEYWORD = "x-code-list"  # a form field's list of allowed codes (data/<name>.json)


def check_form_data(form: str, schema: dict | None, data: dict[str, Any],
                    directory: Directory | None, code_lists: CodeLists | None = None) -> None:
    """`data` against the form's schema, every `<lane>_department` field against the
    directory (when there is one) and every field naming a code list against that list
    (when lists are given); FormValidationError lists every problem."""
    errors: list[FieldError] = []
    if schema is not None:
        try:
            validate_form_data(form, schema, data)
        except FormValidationError as err:
            errors.extend(err.errors)
    if directory is not None and isinstance(data, dict):
        errors.extend(_department_errors(data, directory))
    if code_lists is not None and isinstance(data, dict) and isinstance(schema, dict):
        errors.extend(_code_errors(schema, data, code_lists))
    if errors:
        raise FormValidationError(form, errors)


def _department_errors(data: dict[str, Any], directory: Directory) -> list[FieldError]:
    """A `<lane>_department` names a department of the directory that works that lane
    (its roles name the lane) — a supervising unit does not accept complaints, and an
    acceptance desk does not handle them. A `<x>_department` whose x is no department's
    role (say, responsible_department) names any department of the directory."""
    errors = []
    roles = {role for department in directory for role in department.roles}
    for name, value in data.items():
        if not name.endswith(LANE_SUFFIX) or not isinstance(value, str):
            continue
        entry = directory.get(value)
        lane = name.removesuffix(LANE_SUFFIX)
        if entry is None:
            errors.append(FieldError(name, f"{value!r} is not a department in the directory"))
        elif entry.roles and lane in roles and lane not in entry.roles:
            errors.append(FieldError(name, f"{value!r} does not work the {lane} lane (its "
                                           f"roles: {', '.join(entry.roles)})"))
    return errors


def _code_errors(schema: dict[str, Any], data: dict[str, Any],
                 code_lists: CodeLists) -> list[FieldError]:
    """Each top-level field whose schema names a code list holds a code of it."""
    errors = []
    properties = schema.get("properties")
    for name, field in (properties.items() if isinstance(properties, dict) else ()):
        list_name = field.get(CODE_LIST_KEYWORD) if isinstance(field, dict) else None
        if list_name is None or name not in data:
            continue
        codes = code_lists.get(list_name) if isinstance(list_name, str) else None
        value = data[name]
        if codes is None:
            errors.append(FieldError(name, f"the form names the code list {list_name!r}, "
                                           "which data/ does not have; tell the designers"))
        elif not isinstance(value, str) or value not in codes:
            errors.append(FieldError(name, f"{value!r} is not a code of {list_name} "
                                           f"(GET /api/v1/code-lists/{list_name} lists them)"))
    return errors
