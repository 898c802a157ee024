"""Checks on raw requests, before any parsing: things no schema field can catch."""
from __future__ import annotations

from typing import Any

from flask import Request, abort

MAX_JSON_DEPTH = 32
_OPENERS, _CLOSERS = b"[{", b"]}"


def check_request(request: Request) -> None:
    """400 for NUL characters in the URL, the Idempotency-Key or a JSON body, and for
    unpaired surrogates in a JSON body (databases refuse both in text), and for JSON
    nested deeper than MAX_JSON_DEPTH (it would exhaust the parser's stack)."""
    if "\x00" in request.path or "\x00" in request.query_string.decode("latin-1") \
            or "%00" in request.query_string.decode("latin-1"):
        abort(400, description="the URL contains a NUL character")
    if "\x00" in request.headers.get("Idempotency-Key", ""):
        abort(400, description="the Idempotency-Key header contains a NUL character")
    if request.is_json:
        body = request.get_data(cache=True)
        if json_depth(body) > MAX_JSON_DEPTH:
            abort(400, description=f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
        if b"\\u0000" in body:
            abort(400, description="the JSON body contains a NUL character (\\u0000)")
        if _has_lone_surrogate(request.get_json(silent=True)):
            abort(400, description="the JSON body contains an unpaired UTF-16 surrogate "
                                   "(such as \\ud800): not a character any text can hold")


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
