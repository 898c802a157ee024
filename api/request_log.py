"""A request id for every request, and one log line per request.

The id is the caller's `X-Request-Id` when it is a sane token (so a client's own id
follows the request through), otherwise a new one; it is answered in the
`X-Request-Id` header, bound for the engine (engine/context.py), which writes it on the
timeline rows the request causes, and written on the request's log line. With
LOG_FORMAT=json every log record is one JSON object per line. The request line is
logged with phone numbers masked, and never a header (so never a token)."""
from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime
from uuid import uuid4

from flask import Flask, Response, g, request

from engine.context import bind_request_id

from .log_masking import mask_phone_numbers, mask_phone_numbers_in_logs

HEADER = "X-Request-Id"
REQUEST_LOGGER = "api.requests"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
log = logging.getLogger(REQUEST_LOGGER)


def install(app: Flask) -> None:
    """Give every request its id, answer it, and log the request when done."""
    mask_phone_numbers_in_logs((REQUEST_LOGGER,))

    @app.before_request
    def assign_request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if _SANE_ID.fullmatch(given) else uuid4().hex
        g.request_started = time.perf_counter()
        bind_request_id(g.request_id)

    @app.after_request
    def answer_request_id(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id is not None:
            response.headers[HEADER] = request_id
            started = g.get("request_started", time.perf_counter())
            principal = g.get("principal")
            log.info("%s %s %s", request.method, request.full_path.rstrip("?"),
                     response.status_code, extra={
                         "request_id": request_id, "status": response.status_code,
                         "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                         "principal": principal.name if principal is not None else None})
        return response

    @app.teardown_request
    def unbind(_error=None):
        bind_request_id(None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (phone numbers
    masked), and the request fields when there are any."""

    FIELDS = ("request_id", "status", "duration_ms", "principal")

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                 "level": record.levelname, "logger": record.name,
                 "message": mask_phone_numbers(record.getMessage())}
        entry.update({name: getattr(record, name) for name in self.FIELDS
                      if getattr(record, name, None) is not None})
        if record.exc_info:
            entry["error"] = mask_phone_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str | None, level: str = "INFO") -> None:
    """LOG_FORMAT=json: every record to stderr as a JSON line. Otherwise logging is
    left as it is configured (the servers' own defaults)."""
    if (log_format or "").lower() != "json":
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
