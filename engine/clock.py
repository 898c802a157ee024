"""The one source of time.

Everything that needs "now" asks a Clock. Production uses SystemClock; tests and
`flask demo` use SimulatedClock and move it forward explicitly.

SpiffWorkflow's timer module reads `datetime.now(timezone.utc)` itself. `spiff_time`
points that module at whichever clock the engine is running under, so a timer's due
time and its firing are both computed on our clock.
"""
from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

import SpiffWorkflow.bpmn.specs.event_definitions.timer as _spiff_timer


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to. Thread-safe."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> datetime:
        return self.advance(moment.astimezone(UTC) - self.now())


_active_clock: contextvars.ContextVar[Clock | None] = contextvars.ContextVar(
    "active_clock", default=None
)


class _ClockDatetime(datetime):
    """A datetime whose now() answers from the active clock (or the system's)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]  # not Self
        clock = _active_clock.get()
        moment = clock.now() if clock is not None else datetime.now(UTC)
        return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


_spiff_timer.datetime = _ClockDatetime


def current_time() -> datetime:
    """"Now" as SpiffWorkflow's timers see it: the active clock's, or the system's."""
    return _ClockDatetime.now(UTC)


@contextmanager
def spiff_time(clock: Clock) -> Iterator[None]:
    """Run SpiffWorkflow code (timer due times and firing) on `clock`."""
    token = _active_clock.set(clock)
    try:
        yield
    finally:
        _active_clock.reset(token)


def utc(moment: datetime) -> datetime:
    """Normalise a datetime read back from a database to aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class FixedClock:
    """A clock stopped at one instant: one unit of work sees one "now" throughout."""

    def __init__(self, moment: datetime) -> None:
        self._moment = moment

    def now(self) -> datetime:
        return self._moment
