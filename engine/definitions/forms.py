"""User-task forms: JSON Schema documents named by the diagrams, checked on submit.

A form is untrusted input. Validating with it never reads the network or a file: a
`$ref` resolves only inside the same form (`#/$defs/...`, an `$anchor`, an embedded
`$id`), through a registry that never retrieves, and any other `$ref` is refused at
deploy. `pattern`s are ECMA-262, matched in linear time (engine/definitions/patterns.py).
"""
from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from engine.definitions.patterns import PatternRefused, ecma_pattern

FORM_PROPERTY = "formJsonSchemaFilename"


def _never_retrieve(uri: str):
    raise NoSuchResource(uri)


# What a form's `$ref`s may reach besides the form itself: nothing (jsonschema adds the
# metaschemas it ships; by default it would fetch any other URI, with no timeout).
OFFLINE = Registry(retrieve=_never_retrieve)  # type: ignore[call-arg]


def _pattern(validator, pattern, instance, schema):
    """JSON Schema's `pattern` as its spec (and every browser) reads it, ECMA-262: there,
    `$` ends the text; Python's re would let "13912345678\n" through "...[0-9]{8}$"."""
    if not validator.is_type(instance, "string"):
        return
    try:
        matches = ecma_pattern(pattern).search(instance)
    except PatternRefused as err:  # deployed before patterns were checked: never guess
        yield ValidationError(f"cannot be checked: the form's pattern {pattern!r} is "
                              f"refused ({err}); a designer must deploy the form again",
                              validator="pattern_refused")
        return
    if not matches:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


FormValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})
# The metaschema's formats, but for "regex": jsonschema would compile patterns with
# Python's re (refusing ECMA-262 such as \cJ); they are checked as ECMA-262 below.
_METASCHEMA_FORMATS = FormatChecker(
    [name for name in Draft202012Validator.FORMAT_CHECKER.checkers if name != "regex"])

# Keywords whose value is a schema, a list of schemas, or an object of schemas.
_SCHEMA_KEYWORDS = frozenset({
    "additionalItems", "additionalProperties", "contains", "contentSchema", "else", "if",
    "items", "not", "propertyNames", "then", "unevaluatedItems", "unevaluatedProperties",
    "allOf", "anyOf", "oneOf", "prefixItems",
})
_SCHEMA_MAPS = frozenset({"$defs", "definitions", "dependentSchemas", "dependencies",
                          "patternProperties", "properties"})


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


@dataclass(frozen=True)
class SchemaProblem:
    pointer: str  # a JSON pointer into the form ("" for the whole form)
    message: str

    def __str__(self) -> str:
        return f"{self.message} (at {self.pointer or '/'})"


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not a usable JSON Schema, or None when it is."""
    problems = schema_problems(schema)
    return str(problems[0]) if problems else None


def schema_problems(schema: Any) -> tuple[SchemaProblem, ...]:
    """Everything that keeps `schema` from being a form: not a JSON Schema, a `$ref`
    outside the form, a pattern that cannot be matched in bounded time."""
    if not isinstance(schema, dict):
        return (SchemaProblem("", "a form must be a JSON object"),)
    return _schema_problems(json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _schema_problems(canonical: str) -> tuple[SchemaProblem, ...]:
    # Checking a schema against the metaschema takes ~10 ms; every diagram naming the
    # same form asks again.
    schema = json.loads(canonical)
    try:
        Draft202012Validator.check_schema(schema, format_checker=_METASCHEMA_FORMATS)
    except SchemaError as err:
        return (SchemaProblem(_pointer(err.absolute_path),
                              f"not a valid JSON Schema: {err.message}"),)
    except RecursionError:
        return (SchemaProblem("", "not a valid JSON Schema: nested too deeply"),)
    problems = []
    for subschema, pointer, resolver in _subschemas(schema):
        for keyword in ("$ref", "$dynamicRef"):
            if isinstance(reference := subschema.get(keyword), str):
                try:
                    resolver.lookup(reference)
                except Unresolvable:
                    problems.append(SchemaProblem(
                        f"{pointer}/{keyword}",
                        f"{keyword} {reference!r} does not point inside this form: a form "
                        "may refer only to its own parts (e.g. \"#/$defs/address\"); "
                        "nothing is fetched from elsewhere"))
        if isinstance(pattern := subschema.get("pattern"), str):
            try:
                ecma_pattern(pattern)
            except PatternRefused as err:
                problems.append(SchemaProblem(f"{pointer}/pattern",
                                              f"pattern {pattern!r} is refused: {err}"))
        if subschema.get("patternProperties"):
            problems.append(SchemaProblem(
                f"{pointer}/patternProperties", "patternProperties is not supported (its "
                "patterns would be matched by a backtracking engine): list the fields under "
                "properties, or check names with propertyNames and a pattern"))
    return tuple(sorted(problems, key=lambda problem: problem.pointer))


def _subschemas(schema: dict) -> Iterator[tuple[dict, str, Any]]:
    """Every schema object in `schema` with its JSON pointer and the resolver its `$ref`s
    are read with (an embedded `$id` changes the base), depth first, without recursion."""
    root = DRAFT202012.create_resource(schema)
    registry = OFFLINE.with_resource(root.id() or "", root)
    stack: list[tuple[Any, str, Any]] = [(schema, "", registry.resolver(root.id() or ""))]
    while stack:
        subschema, pointer, resolver = stack.pop()
        if not isinstance(subschema, dict):
            continue
        if pointer and "$id" in subschema:
            resolver = resolver.in_subresource(DRAFT202012.create_resource(subschema))
        yield subschema, pointer, resolver
        for keyword, value in subschema.items():
            where = f"{pointer}/{_escape(keyword)}"
            children: list[tuple[Any, Any]]
            if keyword in _SCHEMA_KEYWORDS:
                children = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            elif keyword in _SCHEMA_MAPS and isinstance(value, dict):
                children = list(value.items())
            else:
                continue
            for name, child in children:
                stack.append((child, where if name is None else f"{where}/{_escape(name)}",
                              resolver))


def _escape(token: Any) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(path: Any) -> str:
    return "".join(f"/{_escape(part)}" for part in path)


def unsupported_at_run_time(schema: dict) -> str | None:
    """What keeps a deployed form from being used safely now (it was deployed before
    these checks): validating with it could take unbounded time."""
    for subschema, pointer, _resolver in _subschemas(schema):
        if subschema.get("patternProperties"):
            return (f"the form uses patternProperties (at {pointer}), which is no longer "
                    "supported; a designer must deploy the form again")
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
    """Raise FormValidationError listing every field that breaks `schema`. Nothing is
    fetched: a `$ref` that does not resolve inside the form makes the form unusable."""
    if unusable := _unusable(schema):
        raise FormValidationError(form_name, [FieldError("(form)", unusable)])
    validator = FormValidator(schema, registry=OFFLINE)
    try:
        found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except Unresolvable as unresolvable:
        raise FormValidationError(form_name, [FieldError(
            "(form)", f"cannot be checked: the form refers to {_ref_of(unresolvable)}, which "
                      "is not part of it; a designer must deploy the form again")]) from None
    errors = []
    for err in found:
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


def _unusable(schema: dict) -> str | None:
    return _unusable_canonical(json.dumps(schema, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _unusable_canonical(canonical: str) -> str | None:
    return unsupported_at_run_time(json.loads(canonical))


def _ref_of(err: Unresolvable) -> str:
    return repr(getattr(err, "ref", None) or str(err))[:MAX_MESSAGE]


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
