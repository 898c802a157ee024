"""Data submitted to a form (a start, a completion) checked before anything runs."""
from __future__ import annotations

from typing import Any

from engine.definitions.forms import FieldError, FormValidationError, validate_form_data
from engine.reference.directory import Directory


def check_form_data(form: str, schema: dict | None, data: dict[str, Any],
                    directory: Directory | None) -> None:
    """`data` against the form's schema, and every `*_department` field against the
    directory (when there is one); FormValidationError lists every problem."""
    errors: list[FieldError] = []
    if schema is not None:
        try:
            validate_form_data(form, schema, data)
        except FormValidationError as err:
            errors.extend(err.errors)
    if directory is not None and isinstance(data, dict):
        errors.extend(FieldError(name, f"{value!r} is not a department in the directory")
                      for name, value in data.items()
                      if name.endswith("_department") and isinstance(value, str)
                      and value not in directory)
    if errors:
        raise FormValidationError(form, errors)
