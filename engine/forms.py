"""User-task forms: JSON Schema documents named by the diagrams, checked on submit."""
from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

FORM_PROPERTY = "formJsonSchemaFilename"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class FormValidationError(ValueError):
    """Submitted data does not satisfy the task's form; nothing was changed."""

    def __init__(self, form: str, errors: list[FieldError]) -> None:
        self.form = form
        self.errors = errors
        summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
        super().__init__(f"form {form}: {summary}")


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not a usable JSON Schema, or None when it is."""
    if not isinstance(schema, dict):
        return "a form must be a JSON object"
    return _schema_problem(json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _schema_problem(canonical: str) -> str | None:
    # Checking a schema against the metaschema takes ~10 ms; every diagram naming the
    # same form asks again.
    try:
        Draft202012Validator.check_schema(json.loads(canonical))
    except SchemaError as err:
        return f"not a valid JSON Schema: {err.message}"
    return None


def with_defaults(schema: dict, data: Any) -> Any:
    """`data` with the form's top-level defaults filled in where a field is missing (a
    designer writes `"default"` in the form, e.g. urgency "normal")."""
    if not isinstance(data, dict):
        return data
    defaults = {name: field["default"]
                for name, field in (schema.get("properties") or {}).items()
                if isinstance(field, dict) and "default" in field and name not in data}
    return {**copy.deepcopy(defaults), **data} if defaults else data


def validate_form_data(form_name: str, schema: dict, data: Any) -> None:
    """Raise FormValidationError listing every field that breaks `schema`."""
    validator = Draft202012Validator(schema)
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in err.absolute_path]
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            path.append(missing)
            message = "is required"
        elif err.validator == "additionalProperties":
            given = set(data_at(data, err.absolute_path))
            extra = sorted(given - set(err.schema.get("properties", {})))
            for name in extra:
                errors.append(FieldError("/".join([*path, name]), "is not a field of this form"))
            continue
        else:
            # A designer-written message (the "errorMessage" keyword of ajv-errors) beats
            # the validator's own wording, e.g. a regular expression.
            message = err.schema.get("errorMessage") or err.message
        errors.append(FieldError("/".join(path) or "(form)", message))
    if errors:
        raise FormValidationError(form_name, errors)


def data_at(data: Any, path: Any) -> Any:
    for part in path:
        data = data[part]
    return data
