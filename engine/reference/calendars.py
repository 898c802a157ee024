"""Working calendars (data/calendars.json): each calendar's weekly hours, time zone,
public holidays and make-up workdays (from the `holidays` package) and local additions
and removals. Checked at load; every error names the file and the field."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from engine.reference.data_files import DataFileInvalid, read_json
from engine.reference.directory import Directory
from engine.runtime.holding import HoldRule
from engine.working_time import MINUTES_PER_DAY, Segment, WorkingCalendar, always_open

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
SEGMENT = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
ALWAYS = "always"
CALENDAR_KEYS = frozenset({
    "name", "description", "time_zone", "hours", "standard_day", "public_holidays",
    "add_days_off", "remove_days_off", "add_workdays", "remove_workdays"})
MOST_YEARS = 50


class CalendarsInvalid(DataFileInvalid):
    """The calendars file is malformed; the message says where."""


class Calendars:
    """The calendars by id, and the one used where nothing names a calendar."""

    def __init__(self, calendars: dict[str, WorkingCalendar], default: str,
                 hold_rule: HoldRule | None = None) -> None:
        self._by_id = calendars
        self.default = default
        self.hold_rule = hold_rule  # which notifications wait for working hours

    @classmethod
    def load(cls, path: Path) -> Calendars:
        return cls.from_document(read_json(path, CalendarsInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "calendars") -> Calendars:
        if not isinstance(document, dict) or not isinstance(document.get("calendars"), dict) \
                or not document["calendars"]:
            raise CalendarsInvalid(f"{source}: expected {{\"default\": <id>, \"calendars\": "
                                   "{<id>: {...}, ...}} with at least one calendar")
        calendars = {}
        for calendar_id, entry in document["calendars"].items():
            where = f"{source}: calendars.{calendar_id}"
            if not CALENDAR_ID.fullmatch(calendar_id):
                raise CalendarsInvalid(f"{where}: an id is letters, digits, '_', '.', '-'")
            calendars[calendar_id] = _calendar(calendar_id, entry, where)
        default = document.get("default")
        if not isinstance(default, str) or default not in calendars:
            raise CalendarsInvalid(f"{source}: default: {default!r} is not one of the "
                                   f"calendars ({', '.join(sorted(calendars))})")
        return cls(calendars, default,
                   _hold_rule(document.get("notifications"), f"{source}: notifications"))

    def __contains__(self, calendar_id: object) -> bool:
        return calendar_id in self._by_id

    def __iter__(self) -> Iterator[WorkingCalendar]:
        return iter(self._by_id.values())

    def get(self, calendar_id: str | None) -> WorkingCalendar:
        """The calendar `calendar_id` names, or the default one for None."""
        return self._by_id[calendar_id or self.default]


def _calendar(calendar_id: str, entry: Any, where: str) -> WorkingCalendar:
    if not isinstance(entry, dict):
        raise CalendarsInvalid(f"{where}: expected an object")
    if unknown := sorted(set(entry) - CALENDAR_KEYS):
        raise CalendarsInvalid(f"{where}: unknown field(s) {', '.join(unknown)}; known: "
                               f"{', '.join(sorted(CALENDAR_KEYS))}")
    zone = _zone(entry.get("time_zone"), f"{where}.time_zone")
    hours = entry.get("hours")
    if hours == ALWAYS:
        extras = set(entry) & {"standard_day", "public_holidays", "add_days_off",
                               "add_workdays"}
        if extras:
            raise CalendarsInvalid(f"{where}: a calendar open \"always\" has no "
                                   f"{', '.join(sorted(extras))}")
        return always_open(calendar_id, zone)
    week = _week(hours, f"{where}.hours")
    standard = entry.get("standard_day", "monday")
    if standard not in WEEKDAYS or not week[WEEKDAYS.index(standard)]:
        raise CalendarsInvalid(f"{where}.standard_day: {standard!r} must be a weekday with "
                               "working hours (the hours of a make-up workday)")
    days_off, workdays = _public_holidays(entry.get("public_holidays"),
                                          f"{where}.public_holidays")
    days_off |= _dates(entry, "add_days_off", where)
    days_off -= _dates(entry, "remove_days_off", where)
    workdays |= _dates(entry, "add_workdays", where)
    workdays -= _dates(entry, "remove_workdays", where)
    if both := sorted(days_off & workdays):
        raise CalendarsInvalid(f"{where}: {both[0]} is both a day off and a workday")
    if not any(week) and not workdays:
        raise CalendarsInvalid(f"{where}.hours: the calendar has no working hours at all")
    return WorkingCalendar(calendar_id, zone, week, frozenset(days_off), frozenset(workdays),
                           week[WEEKDAYS.index(standard)])


def _hold_rule(section: Any, where: str) -> HoldRule | None:
    """{"held": [events], "never_held": [events], "when": {"variable": name, "values":
    [...]}}: events held to the recipient's working hours, except the never_held ones
    for an instance whose variable has one of the values."""
    if section is None:
        return None
    if not isinstance(section, dict):
        raise CalendarsInvalid(f"{where}: expected an object")
    names = {}
    for key in ("held", "never_held"):
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise CalendarsInvalid(f"{where}.{key}: expected a list of notification events")
        names[key] = frozenset(value)
    when = section.get("when", {})
    if not isinstance(when, dict) or (when and not (
            isinstance(when.get("variable"), str) and isinstance(when.get("values"), list)
            and all(isinstance(v, str | int | bool) for v in when["values"]))):
        raise CalendarsInvalid(f"{where}.when: expected {{\"variable\": <name>, "
                               "\"values\": [...]}")
    return HoldRule(names["held"], names["never_held"], when.get("variable"),
                    frozenset(when.get("values", [])))


def _zone(name: Any, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise CalendarsInvalid(f"{where}: {name!r} is not a time zone "
                               "(an IANA name such as Asia/Shanghai)") from None


def _week(hours: Any, where: str) -> tuple[tuple[Segment, ...], ...]:
    if not isinstance(hours, dict):
        raise CalendarsInvalid(f"{where}: expected \"always\" or an object of weekdays "
                               "(monday .. sunday), each a list like [\"08:30-12:00\"]")
    if unknown := sorted(set(hours) - set(WEEKDAYS) - {"description"}):
        raise CalendarsInvalid(f"{where}: {unknown[0]!r} is not a weekday ({', '.join(WEEKDAYS)})")
    return tuple(_segments(hours.get(day, []), f"{where}.{day}") for day in WEEKDAYS)


def _segments(texts: Any, where: str) -> tuple[Segment, ...]:
    if not isinstance(texts, list):
        raise CalendarsInvalid(f"{where}: expected a list like [\"08:30-12:00\", "
                               "\"13:30-17:30\"] (empty for a day off)")
    segments: list[Segment] = []
    for index, text in enumerate(texts):
        match = SEGMENT.fullmatch(text) if isinstance(text, str) else None
        start = end = m1 = m2 = -1
        if match:
            h1, m1, h2, m2 = (int(part) for part in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
        if not match or m1 > 59 or m2 > 59 or not 0 <= start < end <= MINUTES_PER_DAY:
            raise CalendarsInvalid(f"{where}[{index}]: {text!r} must be \"HH:MM-HH:MM\", "
                                   "the start before the end, within 00:00-24:00")
        if segments and start < segments[-1][1]:
            raise CalendarsInvalid(f"{where}[{index}]: {text!r} overlaps or comes before "
                                   "the segment before it; list segments in order")
        segments.append((start, end))
    return tuple(segments)


def _public_holidays(section: Any, where: str) -> tuple[set[date], set[date]]:
    """Days off and make-up workdays (调休) of a country's public holidays."""
    if section is None:
        return set(), set()
    if not isinstance(section, dict):
        raise CalendarsInvalid(f"{where}: expected {{\"country\": \"CN\", \"years\": "
                               "[first, last]}")
    years = section.get("years")
    if not (isinstance(years, list) and len(years) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            and 1900 < years[0] <= years[1] < years[0] + MOST_YEARS):
        raise CalendarsInvalid(f"{where}.years: expected [first, last], at most "
                               f"{MOST_YEARS} years")
    try:
        table = holidays.country_holidays(str(section.get("country")),
                                          subdiv=section.get("subdivision"),
                                          years=range(years[0], years[1] + 1))
    except (NotImplementedError, KeyError, TypeError, ValueError) as err:
        raise CalendarsInvalid(f"{where}: {section.get('country')!r} / subdivision "
                               f"{section.get('subdivision')!r}: {err}") from None
    # The package also knows make-up workdays of neighbouring years: keep those asked for.
    workdays = {day for day in getattr(table, "weekend_workdays", set())
                if years[0] <= day.year <= years[1]}
    return set(table.keys()), workdays


def _dates(entry: dict, key: str, where: str) -> set[date]:
    values = entry.get(key, [])
    if not isinstance(values, list):
        raise CalendarsInvalid(f"{where}.{key}: expected a list of dates (YYYY-MM-DD)")
    dates = set()
    for index, value in enumerate(values):
        try:
            dates.add(date.fromisoformat(value))
        except (TypeError, ValueError):
            raise CalendarsInvalid(f"{where}.{key}[{index}]: {value!r} is not a date "
                                   "(YYYY-MM-DD)") from None
    return dates


def calendar_problems(calendars: Calendars, named: dict[str, str | None]) -> list[str]:
    """What `named` (who: the calendar it names) refers to that the calendars lack."""
    return [f"{who}: calendar {name!r} is not in the calendars file"
            for who, name in named.items() if name is not None and name not in calendars]



def calendar_resolver(calendars: Calendars,
                      directory: Directory | None) -> Callable[[str], WorkingCalendar]:
    """A department's working calendar: the one the directory names for it, else the
    calendars' default. Raises CalendarsInvalid when a department names an unknown one."""
    if directory is not None and (problems := calendar_problems(
            calendars, {department.id: department.calendar for department in directory})):
        raise CalendarsInvalid("departments: " + "; ".join(problems))

    def calendar_of(department: str) -> WorkingCalendar:
        entry = directory.get(department) if directory is not None else None
        return calendars.get(entry.calendar if entry is not None else None)

    return calendar_of
