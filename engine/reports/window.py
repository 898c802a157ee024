"""The time window a report covers: [from, to), given as ISO 8601 instants or as dates
(a date is its midnight in the reports' time zone)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

DEFAULT_WINDOW = timedelta(days=30)
LONGEST_WINDOW = timedelta(days=400)
FIRST_YEAR, LAST_YEAR = 2000, 2199  # any report outside these is a typing mistake
JUST_AFTER = timedelta(microseconds=1)  # a default end includes what happened just now


class WindowInvalid(ValueError):
    """A report window that cannot be: the message says why."""


def parse_moment(text: str) -> date | datetime:
    """A date (YYYY-MM-DD) or an ISO 8601 instant with its zone."""
    try:
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise WindowInvalid("is not a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if isinstance(moment, datetime) and moment.tzinfo is None:
        raise WindowInvalid("needs a time zone (e.g. Z or +08:00)")
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise WindowInvalid(f"is outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return moment


def report_window(start: date | datetime | None, end: date | datetime | None,
                  now: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC: `end` defaults to now, `start` to 30 days before it."""
    until = _instant(end, zone) or now + JUST_AFTER
    since = _instant(start, zone) or until - DEFAULT_WINDOW
    if since >= until:
        raise WindowInvalid("`from` must be before `to`")
    if until - since > LONGEST_WINDOW:
        raise WindowInvalid(f"a report covers at most {LONGEST_WINDOW.days} days")
    return since, until


def _instant(moment: date | datetime | None, zone: tzinfo) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=zone)
    return moment.astimezone(UTC)
