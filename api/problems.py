"""Every error as application/problem+json (RFC 9457): what went wrong and where.

Engine errors map to 404/409/422; request-parsing errors keep their status and list
each offending field; a database that cannot be reached is a 503 with Retry-After;
anything unexpected is logged and becomes a plain 500 that reveals nothing internal.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

from engine.definitions.bpmn import DefinitionInvalid
from engine.definitions.forms import FormValidationError
from engine.errors import (
    Conflict,
    EngineError,
    Forbidden,
    InstanceFailed,
    NotFound,
    Unprocessable,
)
from engine.store.database import is_unavailable

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
NOT_FOUND = "Not Found"
# What a 503 asks a client to wait before retrying (a dropped connection is usually
# replaced at once; a database restarting takes a few seconds).
RETRY_AFTER_SECONDS = 5


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "instance": request.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    response.headers.update(headers or {})
    return response


def http_problem(error: HTTPException) -> Response:
    """Werkzeug/webargs errors: 400 bad JSON, 404, 405, 413, 422 field errors, ...

    `data` may carry webargs' nested `messages` or a flat list of `errors`, each a
    {field, message} (api/guards.py). Every 404 is the same problem as an item the
    engine does not find (/problems/not-found): an item hidden from the caller, an
    absent one and a path that names nothing look alike.
    """
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    errors = (_field_errors(messages) if isinstance(messages, dict)
              else messages if isinstance(messages, list) else None)
    detail = data.get("message") or error.description
    if errors:
        detail = ("The request has invalid fields; see errors." if error.code == 422
                  else "; ".join(f"{e['field']}: {e['message']}" for e in errors))
    headers = {k: v for k, v in error.get_headers()
               if k.lower() in ("www-authenticate", "allow", "retry-after")}
    headers.update(data.get("headers") or {})
    if error.code == 404:
        return problem(404, NOT_FOUND, detail, slug="not-found", headers=headers)
    return problem(error.code or 500, error.name, detail, errors=errors, headers=headers)


def _field_errors(messages: dict[str, Any], prefix: str = "") -> list[dict[str, str]]:
    """webargs' nested {location: {field: [messages]}} as a flat list of field errors."""
    errors = []
    for key, value in messages.items():
        name = str(key)
        if not prefix:
            name = {"json": "body", "querystring": "query"}.get(name, name)
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            errors.extend(_field_errors(value, path))
        else:
            for message in value if isinstance(value, list) else [value]:
                errors.append({"field": path, "message": str(message)})
    return errors


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(FormValidationError)
    def form_invalid(error: FormValidationError):
        # Field paths name the request field that carried the form data.
        prefix = g.get("form_data_field", "data")
        return problem(422, "Form data is invalid", str(error), slug="form-invalid",
                       errors=[{"field": f"{prefix}.{e.field}",
                                "message": e.message} for e in error.errors])

    @app.errorhandler(DefinitionInvalid)
    def definition_invalid(error: DefinitionInvalid):
        return problem(422, "Process definition is invalid",
                       f"{len(error.problems)} problem(s) found; nothing was deployed",
                       slug="definition-invalid", errors=[p.as_dict() for p in error.problems])

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        return problem(404, NOT_FOUND, str(error), slug="not-found")

    @app.errorhandler(Forbidden)
    def forbidden(error: Forbidden):
        return problem(403, "Forbidden", str(error), slug="forbidden")

    @app.errorhandler(Conflict)
    def conflict(error: Conflict):
        return problem(409, "Conflict", str(error), slug=_slug(error))

    @app.errorhandler(Unprocessable)
    def unprocessable(error: Unprocessable):
        return problem(422, "Unprocessable", str(error), slug=_slug(error))

    @app.errorhandler(InstanceFailed)
    def instance_failed(error: InstanceFailed):
        return problem(422, "The process could not continue with this input", str(error),
                       slug="instance-failed")

    @app.errorhandler(EngineError)
    def engine_error(error: EngineError):
        return problem(400, "Bad Request", str(error), slug=_slug(error))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_problem(error)
        if is_unavailable(error):
            # A unit of work commits whole or not at all, and the pool has dropped the
            # broken connection: the client may simply retry (a connection lost during
            # the commit itself leaves its outcome unknown: Idempotency-Key covers that).
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        type(error).__name__)
            return problem(503, "Service Unavailable",
                           "The database could not be reached; the request did not complete. "
                           "Retry after the seconds in Retry-After (with the same "
                           "Idempotency-Key, a retried intake or start returns what the first "
                           "one created, if it did).",
                           slug="database-unavailable",
                           headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error",
                       "An unexpected error occurred; it has been logged.")


def _slug(error: Exception) -> str:
    name = type(error).__name__
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
