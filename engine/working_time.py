"""Working-time arithmetic on a calendar: which instants count, how much working time lies
between two instants, and where a working-time duration ends.

A calendar gives, per weekday, segments of local wall-clock time ("08:30-12:00",
"13:30-17:30"), in a time zone; days off replace a weekday's segments with none, and extra
workdays (make-up workdays) get the calendar's standard day. Everything else is arithmetic
on UTC instants; no database, no business vocabulary.

Conventions (tested in tests/test_working_time.py):
- A segment's bounds are local wall-clock times read as Python reads them (fold=0): a
  bound inside a skipped hour means the instant it would have been before the clock
  jumped, a bound inside a repeated hour its first occurrence.
- Adding working time that ends exactly where a segment ends gives the segment's end
  (17:30), not the next morning.
- A duration's days are working days, not 24 working hours: `P1D` from a moment lands
  on the same working-time position of the next working day (Friday 16:45 + P1D = the
  next working day at 16:45). A start outside working hours starts at the next working
  instant; landing on a day's very beginning is reported as the end of the working day
  before it (the same instant in working time), so Saturday + P1D is Monday's close.
  A fractional day (a day limit scaled by a factor) counts as that fraction of the
  calendar's standard day.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
# How far ahead a search for working time goes before it calls the calendar empty.
SEARCH_DAYS = 3 * 366
Segment = tuple[int, int]  # [start, end) in minutes after local midnight; end <= 1440
_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$")


class NoWorkingTime(ValueError):
    """The calendar has no working time where some was needed."""


@dataclass(frozen=True)
class WorkingDuration:
    """An ISO 8601 duration read as working time: whole (or scaled) working days, then
    working hours, minutes and seconds."""

    days: float = 0.0
    time: timedelta = timedelta(0)

    @classmethod
    def parse(cls, text: str) -> WorkingDuration:
        match = _DURATION.match(text.strip()) if isinstance(text, str) else None
        if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
            raise ValueError(f"{text!r} is not a working-time duration: write days and "
                             "time, as P1D, PT2H30M or P1DT4H (no years, months or weeks)")
        parts = {name: float(value) for name, value in match.groupdict().items() if value}
        return cls(parts.get("days", 0.0),
                   timedelta(hours=parts.get("hours", 0.0), minutes=parts.get("minutes", 0.0),
                             seconds=parts.get("seconds", 0.0)))

    def scaled(self, factor: float) -> WorkingDuration:
        return WorkingDuration(self.days * factor, self.time * factor)

    def isoformat(self) -> str:
        """Days as days (P1D, P0.5D), then the time ("P1DT2H")."""
        seconds = round(self.time.total_seconds())
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        time_part = "".join(f"{value}{unit}" for value, unit in
                            ((hours, "H"), (minutes, "M"), (seconds, "S")) if value)
        days = f"{self.days:g}D" if self.days else ""
        return f"P{days}{'T' + time_part if time_part else ''}" if days or time_part \
            else "PT0S"


@dataclass(frozen=True)
class WorkingCalendar:
    id: str
    zone: ZoneInfo
    week: tuple[tuple[Segment, ...], ...]  # Monday .. Sunday
    days_off: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    standard_day: tuple[Segment, ...] = ()  # the hours of an extra workday

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("a calendar's week has seven days")

    # -- which instants count ------------------------------------------------------------

    def segments_on(self, day: date) -> tuple[Segment, ...]:
        """The working segments of a local date (none on a day off)."""
        if day in self.extra_workdays:
            return self.standard_day
        if day in self.days_off:
            return ()
        return self.week[day.weekday()]

    def is_working_day(self, day: date) -> bool:
        return bool(self.day_intervals(day))

    def day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """A local date's working segments as UTC intervals (empty ones dropped)."""
        intervals = []
        for start, end in self.segments_on(day):
            begin, finish = self._instant(day, start), self._instant(day, end)
            if finish > begin:
                intervals.append((begin, finish))
        return intervals

    def _instant(self, day: date, minute: int) -> datetime:
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC, ascending) from `start` on, the first clipped to begin
        at `start`; a 24x7 calendar gives one a day. Raises NoWorkingTime after
        SEARCH_DAYS without any."""
        day = self.local_date(start) - timedelta(days=1)
        idle = 0
        while idle <= SEARCH_DAYS:
            idle += 1
            for begin, end in self.day_intervals(day):
                if end > start:
                    idle = 0
                    yield max(begin, start), end
            day += timedelta(days=1)
        raise NoWorkingTime(f"calendar {self.id!r} has no working time in the "
                            f"{SEARCH_DAYS} days before {day}")

    # -- arithmetic ----------------------------------------------------------------------

    def working_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero when end is not after start."""
        total = timedelta(0)
        day, last = self.local_date(start) - timedelta(days=1), self.local_date(end)
        while day <= last:
            for begin, finish in self.day_intervals(day):
                if finish > start and begin < end:
                    total += min(finish, end) - max(begin, start)
            day += timedelta(days=1)
        return total

    def add_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant `amount` of working time after `start`."""
        if amount <= timedelta(0):
            return start
        remaining = amount
        for begin, end in self.intervals(start):
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
        raise NoWorkingTime(self.id)  # unreachable: intervals() raises first

    def add(self, start: datetime, duration: WorkingDuration | str) -> datetime:
        """Where `duration` of working time from `start` ends (see the module's
        conventions for days)."""
        if isinstance(duration, str):
            duration = WorkingDuration.parse(duration)
        whole = math.floor(duration.days)
        moment = self.add_days(start, whole) if whole else start
        rest = duration.time + self.standard_length() * (duration.days - whole)
        return self.add_time(moment, rest)

    def add_days(self, start: datetime, days: int) -> datetime:
        """The same working-time position `days` working days later."""
        if days <= 0:
            return start
        first = next(self.intervals(start))[0]  # the clock starts at the next working instant
        day = self.local_date(first)
        position = self.working_between(self._day_start(day), first)
        if position == timedelta(0):  # the very start of a day: the end of the one before
            target = self._working_day_after(day, days - 1) if days > 1 else day
            return self.day_intervals(target)[-1][1]
        target = self._working_day_after(day, days)
        intervals = self.day_intervals(target)
        if position >= sum((end - begin for begin, end in intervals), timedelta(0)):
            return intervals[-1][1]  # a shorter day: its close
        return self.add_time(intervals[0][0], position)

    def fraction_point(self, start: datetime, due: datetime, percent: float) -> datetime:
        """The instant at `percent` of the working time from `start` to `due` (75 % of a
        limit, 200 % of it)."""
        return self.add_time(start, self.working_between(start, due) * (percent / 100))

    def standard_length(self) -> timedelta:
        return timedelta(minutes=sum(end - begin for begin, end in self.standard_day))

    def _day_start(self, day: date) -> datetime:
        intervals = self.day_intervals(day)
        return intervals[0][0] if intervals else self._instant(day, 0)

    def _working_day_after(self, day: date, count: int) -> date:
        for _ in range(count):
            day += timedelta(days=1)
            skipped = 0
            while not self.is_working_day(day):
                day += timedelta(days=1)
                skipped += 1
                if skipped > SEARCH_DAYS:
                    raise NoWorkingTime(f"calendar {self.id!r} has no working day after "
                                        f"{day - timedelta(SEARCH_DAYS)}")
        return day


def always_open(calendar_id: str, zone: ZoneInfo) -> WorkingCalendar:
    """A 24x7 calendar: every instant counts."""
    whole_day = ((0, MINUTES_PER_DAY),)
    return WorkingCalendar(calendar_id, zone, (whole_day,) * 7, standard_day=whole_day)
