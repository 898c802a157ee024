"""User-task forms: JSON Schema documents named by the diagrams, checked on submit."""
from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from typing import Any

import regress
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import SchemaError

FORM_PROPERTY = "formJsonSchemaFilename"


@functools.lru_cache(maxsize=1024)
def _ecma_regex(pattern: str) -> regress.Regex:
    return regress.Regex(pattern)


def _pattern(validator, pattern, instance, schema):
    """JSON Schema's `pattern` as its spec (and every browser) reads it, ECMA-262: there,
    `$` ends the text; Python's re would let "13912345678\n" through "...[0-9]{8}$"."""
    if validator.is_type(instance, "string") and _ecma_regex(pattern).find(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


FormValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


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
    schema = json.loads(canonical)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return f"not a valid JSON Schema: {err.message}"
    for pattern in _patterns(schema):
        try:
            _ecma_regex(pattern)
        except regress.RegressError as err:
            return f"not a valid JSON Schema: pattern {pattern!r} is not a regular " \
                   f"expression ({err})"
    return None


def _patterns(schema: Any) -> list[str]:
    """Every `pattern` anywhere in a schema."""
    if isinstance(schema, dict):
        found = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
        return found + [p for value in schema.values() for p in _patterns(value)]
    if isinstance(schema, list):
        return [p for value in schema for p in _patterns(value)]
    return []


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
    validator = FormValidator(schema)
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
            written = err.schema.get("errorMessage") if isinstance(err.schema, dict) else None
            message = written or _message(err)
        errors.append(FieldError("/".join(path) or "(form)", message))
    if errors:
        raise FormValidationError(form_name, errors)


def _message(err: ValidationError) -> str:
    """The rule that was broken, without echoing the value (which may be long)."""
    expected: Any = err.validator_value  # a value of the schema: any JSON
    wording = {
        "maxLength": lambda: f"is longer than {expected} characters",
        "minLength": lambda: "must not be empty" if expected == 1
        else f"is shorter than {expected} characters",
        "enum": lambda: "must be one of " + ", ".join(json.dumps(v) for v in expected),
        "const": lambda: f"must be {json.dumps(expected)}",
        "type": lambda: f"must be of type {expected}",
        "pattern": lambda: f"does not match {expected}",
        "maximum": lambda: f"must be at most {expected}",
        "minimum": lambda: f"must be at least {expected}",
        "exclusiveMaximum": lambda: f"must be below {expected}",
        "exclusiveMinimum": lambda: f"must be above {expected}",
        "maxProperties": lambda: f"has more than {expected} fields",
        "maxItems": lambda: f"has more than {expected} items",
    }
    rule = wording.get(err.validator) if isinstance(err.validator, str) else None
    if rule is not None:
        return rule()
    return err.message if len(err.message) <= MAX_MESSAGE else err.message[:MAX_MESSAGE] + "…"


MAX_MESSAGE = 200


def data_at(data: Any, path: Any) -> Any:
    for part in path:
        data = data[part]
    return data
