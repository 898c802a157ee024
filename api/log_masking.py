"""Customer phone numbers stay out of the logs.

SQL parameters are kept out of error messages by the engine's `hide_parameters`
(engine/store/database.py). What is left is request logging: a search such as
`GET /api/v1/work-orders?phone=13912345678` puts the number in the request line, which
gunicorn's access log (`gunicorn.access`, when an access log is configured) and the
Werkzeug development server (`werkzeug`, `flask run`) write out. Waitress, under
`flask serve`, writes no access log; its error log names only the path (`waitress`).
A filter on each of those loggers, and on the log of unexpected errors, masks every
mainland mobile number in the line, and in a traceback attached to it, as 139****5678.
"""
from __future__ import annotations

import logging
import re

# Request logging of the servers the README runs the app with, and the log of requests
# that failed (api/problems.py), whose tracebacks may quote a request's values.
REQUEST_LOGGERS = ("gunicorn.access", "gunicorn.error", "werkzeug", "waitress", "api.problems")

# An 11-digit mainland mobile number (1, then 3-9, then nine digits), optionally after a
# country code (86, +86, %2B86, 0086) and with spaces, hyphens or %20 between the groups
# of 3-4-4, standing alone: not inside a longer run of letters and digits (an id).
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+|%2[Bb]|00)?86(?:[ -]|%20)?)?"
    r"(1[3-9][0-9])(?:[ -]|%20)?[0-9]{4}(?:[ -]|%20)?([0-9]{4})(?![0-9A-Za-z])")


def mask_phone_numbers(text: str) -> str:
    """`text` with every mainland mobile number as its first three and last four
    digits around four asterisks: 13912345678 -> 139****5678."""
    return _PHONE.sub(r"\1****\2", text)


class PhoneMaskingFilter(logging.Filter):
    """Rewrites a record's message (and traceback) with phone numbers masked; drops
    nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phone_numbers(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phone_numbers(record.exc_text)
        return True


_FILTER = PhoneMaskingFilter()


def mask_phone_numbers_in_logs(loggers: tuple[str, ...] = REQUEST_LOGGERS) -> None:
    """Put the masking filter on `loggers` (once each; the app factory calls this)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
