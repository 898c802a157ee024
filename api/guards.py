"""Checks on raw requests that no schema field can catch.

Two stages, so that a request nobody may make costs next to nothing: `check_request_line`
looks only at the URL and headers and runs before authentication; `check_json_body`
reads and parses the body and runs only for an authenticated caller whose role may use
the endpoint (from `auth.requires`). The size limit (MAX_CONTENT_LENGTH) applies
whenever the body is read.
"""
from __future__ import annotations

import json
import math
from typing import Any

from flask import Request, abort
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

MAX_JSON_DEPTH = 32
_OPENERS, _CLOSERS = b"[{", b"]}"
NON_FINITE = "is not a finite number (NaN and Infinity are not JSON numbers)"
TOO_MANY_DIGITS = "is an integer with more digits than any field takes"


def check_request_line(request: Request) -> None:
    """400 for NUL characters in the URL or the Idempotency-Key (databases refuse NUL
    in text). Reads no body."""
    if "\x00" in request.path or "\x00" in request.query_string.decode("latin-1") \
            or "%00" in request.query_string.decode("latin-1"):
        abort(400, description="the URL contains a NUL character")
    if "\x00" in request.headers.get("Idempotency-Key", ""):
        abort(400, description="the Idempotency-Key header contains a NUL character")


def check_json_body(request: Request) -> None:
    """400 for a JSON body nested deeper than MAX_JSON_DEPTH (it would exhaust the
    parser's stack), holding a NUL character or an unpaired surrogate (no database text
    holds either), a non-finite number (NaN, Infinity, or a float too large to be one),
    or an integer past Python's 4,300-digit conversion limit; the last two name each
    field. And 400 for a body that is not JSON in UTF-8 at all."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if not body:
        return  # no body: the request parser treats it as absent
    if json_depth(body) > MAX_JSON_DEPTH:
        abort(400, description=f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    if b"\\u0000" in body:
        abort(400, description="the JSON body contains a NUL character (\\u0000)")
    try:
        # Decoded as the request parser (webargs) decodes it, which parses it again.
        value = _parse_marking_numbers(body.decode("utf-8"))
    except ValueError as err:  # JSONDecodeError, UnicodeDecodeError
        abort(400, description=f"the body is not valid JSON: {err}")
    if _has_lone_surrogate(value):
        abort(400, description="the JSON body contains an unpaired UTF-16 surrogate "
                               "(such as \\ud800): not a character any text can hold")
    if errors := [{"field": field, "message": message}
                  for field, message in _refused_numbers(value, "body")]:
        raise RefusedNumbers(errors)


class RefusedNumbers(BadRequest):
    """400 naming each field whose number no field can hold (api/problems.py lists
    `data["errors"]`)."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(description="the JSON body has numbers no field can hold")
        self.data = {"errors": errors}


def strict_loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads refusing (ValueError) what check_json_body refuses in depth and numbers."""
    if json_depth(text.encode() if isinstance(text, str) else text) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    value = _parse_marking_numbers(text, **kwargs)
    if problems := list(_refused_numbers(value, "")):
        field, message = problems[0]
        raise ValueError(f"{field or 'the value'} {message}")
    return value


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, parsing as strictly as check_json_body: `request.get_json()`
    never yields NaN or Infinity, nor fails on a very long integer with a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s, **kwargs)


class _Refused:
    """Stands in for a number in a parsed body until its field is reported."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _parse_marking_numbers(text: str | bytes, **kwargs: Any) -> Any:
    return json.loads(text, parse_constant=_non_finite, parse_float=_finite_float,
                      parse_int=_bounded_int, **kwargs)


def _non_finite(_literal: str) -> _Refused:
    return _Refused(NON_FINITE)


def _finite_float(literal: str) -> float | _Refused:
    number = float(literal)  # 1e999 is inf: as unstorable as Infinity
    return number if math.isfinite(number) else _Refused(NON_FINITE)


def _bounded_int(literal: str) -> int | _Refused:
    try:
        return int(literal)
    except ValueError:  # past sys.get_int_max_str_digits()
        return _Refused(TOO_MANY_DIGITS)


def _refused_numbers(value: Any, path: str):
    """(field path, message) for every refused number in a parsed body, in order."""
    if isinstance(value, _Refused):
        yield path, value.message
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _refused_numbers(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refused_numbers(item, f"{path}.{index}" if path else str(index))


def _has_lone_surrogate(value: Any) -> bool:
    """JSON may escape half of a UTF-16 pair alone; no database or UTF-8 text can hold
    it. (A whole pair decodes to one character outside the surrogate range.)"""
    if isinstance(value, str):
        return any("\ud800" <= character <= "\udfff" for character in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def json_depth(body: bytes) -> int:
    """Deepest nesting of arrays and objects in `body`, ignoring brackets inside strings.
    Malformed JSON is left for the parser to report."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest
