"""Working-time arithmetic (engine/working_time.py) and the calendars file
(engine/reference/calendars.py): worked examples on the shipped calendars, the
conventions, and a property-based check against a minute-by-minute reference."""
from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.reference.calendars import Calendars, CalendarsInvalid, calendar_problems
from engine.working_time import (
    NoWorkingTime,
    WorkingCalendar,
    WorkingDuration,
    always_open,
)

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_DAY = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 17 * 60 + 30))


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


@pytest.fixture(scope="module")
def calendars() -> Calendars:
    return Calendars.load(ROOT / "data" / "calendars.json")


@pytest.fixture(scope="module")
def office(calendars: Calendars) -> WorkingCalendar:
    return calendars.get("branch_office")


# -- worked examples on the shipped branch calendar (China, 08:30-12:00, 13:30-17:30) --

def test_time_runs_over_the_lunch_break(office):
    assert office.add(local(SHANGHAI, 2026, 3, 10, 11, 30), "PT1H") == \
        local(SHANGHAI, 2026, 3, 10, 14, 0)


def test_a_weekend_does_not_count(office):
    assert office.add(local(SHANGHAI, 2026, 3, 13, 17, 0), "PT1H") == \
        local(SHANGHAI, 2026, 3, 16, 9, 0)


def test_two_hours_at_1645_on_the_friday_before_a_holiday_land_after_it(office):
    # Qingming 2026: Saturday 4 April to Monday 6 April off (the holidays package).
    friday = local(SHANGHAI, 2026, 4, 3, 16, 45)
    assert office.add(friday, "PT2H") == local(SHANGHAI, 2026, 4, 7, 9, 45)
    assert office.working_between(friday, local(SHANGHAI, 2026, 4, 7, 9, 45)) == \
        timedelta(hours=2)


def test_a_make_up_saturday_is_a_working_day(office):
    # Spring Festival 2026: Saturday 14 February is worked (调休), 15-23 February are off.
    assert date(2026, 2, 14) in office.extra_workdays
    friday = local(SHANGHAI, 2026, 2, 13, 16, 45)
    assert office.add(friday, "PT2H") == local(SHANGHAI, 2026, 2, 14, 9, 45)
    assert office.add(local(SHANGHAI, 2026, 2, 14, 16, 45), "PT2H") == \
        local(SHANGHAI, 2026, 2, 24, 9, 45)


def test_one_working_day_is_the_same_position_on_the_next_working_day(office):
    friday = local(SHANGHAI, 2026, 3, 13, 16, 45)
    assert office.add(friday, "P1D") == local(SHANGHAI, 2026, 3, 16, 16, 45)
    # Not 24 working hours (three working days).
    assert office.add(friday, "PT24H") == local(SHANGHAI, 2026, 3, 19, 9, 15)
    assert office.add(friday, "P1DT1H") == local(SHANGHAI, 2026, 3, 17, 8, 45)
    # Over a holiday: Friday before Qingming + P1D is Tuesday.
    assert office.add(local(SHANGHAI, 2026, 4, 3, 10, 0), "P2D") == \
        local(SHANGHAI, 2026, 4, 8, 10, 0)


def test_a_day_started_outside_working_hours_ends_at_a_close(office):
    saturday = local(SHANGHAI, 2026, 3, 14, 10, 0)
    assert office.add(saturday, "P1D") == local(SHANGHAI, 2026, 3, 16, 17, 30)
    assert office.add(local(SHANGHAI, 2026, 3, 16, 7, 0), "P2D") == \
        local(SHANGHAI, 2026, 3, 17, 17, 30)
    # Ending exactly at a close stays there rather than moving to the next morning.
    assert office.add(local(SHANGHAI, 2026, 3, 16, 9, 0), "PT3H") == \
        local(SHANGHAI, 2026, 3, 16, 12, 0)


def test_a_scaled_day_is_that_share_of_the_standard_day(office):
    half = WorkingDuration.parse("P1D").scaled(0.5)  # 3h45 of a 7h30 standard day
    assert office.add(local(SHANGHAI, 2026, 3, 16, 8, 30), half) == \
        local(SHANGHAI, 2026, 3, 16, 13, 45)


def test_ladder_fractions_are_fractions_of_working_time(office):
    opened = local(SHANGHAI, 2026, 4, 3, 16, 45)
    due = office.add(opened, "PT2H")
    assert office.fraction_point(opened, due, 75) == local(SHANGHAI, 2026, 4, 7, 9, 15)
    assert office.fraction_point(opened, due, 100) == due
    assert office.fraction_point(opened, due, 200) == local(SHANGHAI, 2026, 4, 7, 11, 45)


def test_the_hotline_counts_every_hour(calendars):
    hotline = calendars.get(None)  # the default calendar
    assert hotline.id == "hotline_24x7"
    start = local(SHANGHAI, 2026, 10, 1, 23, 27)
    assert hotline.add(start, "PT2H40M") == start + timedelta(hours=2, minutes=40)
    assert hotline.add(start, "P1D") == start + timedelta(days=1)


def test_a_dst_free_zone_off_the_hour():
    kolkata = WorkingCalendar("in", ZoneInfo("Asia/Kolkata"), (((540, 1080),),) * 5 + ((), ()),
                              standard_day=((540, 1080),))
    # 17:00 IST is 11:30 UTC; two hours later is 10:00 IST on Monday = 04:30 UTC.
    start = datetime(2026, 3, 13, 11, 30, tzinfo=UTC)
    assert kolkata.add(start, "PT2H") == datetime(2026, 3, 16, 4, 30, tzinfo=UTC)


def test_a_zone_with_daylight_saving():
    berlin = WorkingCalendar("de", BERLIN, (((480, 1020),),) * 5 + ((), ()),
                             standard_day=((480, 1020),))
    # Friday 27 March 2026 16:00 CET (15:00 UTC); clocks go forward on Sunday 29 March.
    friday = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)
    assert berlin.add(friday, "PT2H") == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert berlin.add(friday, "P1D") == datetime(2026, 3, 30, 14, 0, tzinfo=UTC)  # 16:00 CEST
    whole_day = always_open("de24", BERLIN)
    sunday = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # midnight CET
    assert whole_day.working_between(sunday, sunday + timedelta(days=1)) == timedelta(days=1)
    assert whole_day.add(sunday, "P1D") == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # 23 h
    # A segment across the change counts the hours that happen: 01:00-04:00 is 2 h in
    # spring and 4 h in autumn.
    night = WorkingCalendar("night", BERLIN, (((60, 240),),) * 7, standard_day=((60, 240),))
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert sum((b - a for a, b in night.day_intervals(spring)), timedelta()) == timedelta(hours=2)
    assert sum((b - a for a, b in night.day_intervals(autumn)), timedelta()) == timedelta(hours=4)


def test_local_additions_and_removals(calendars):
    document = json.loads((ROOT / "data" / "calendars.json").read_text(encoding="utf-8"))
    entry = document["calendars"]["branch_office"]
    entry["add_days_off"] = ["2026-03-16"]  # a local holiday on a Monday
    entry["remove_days_off"] = ["2026-04-06"]  # Qingming Monday worked after all
    entry["add_workdays"] = ["2026-03-14"]  # a Saturday worked
    changed = Calendars.from_document(document).get("branch_office")
    assert changed.add(local(SHANGHAI, 2026, 3, 13, 17, 0), "PT1H") == \
        local(SHANGHAI, 2026, 3, 14, 9, 0)
    assert changed.add(local(SHANGHAI, 2026, 3, 14, 17, 0), "PT1H") == \
        local(SHANGHAI, 2026, 3, 17, 9, 0)
    assert changed.add(local(SHANGHAI, 2026, 4, 3, 16, 45), "PT2H") == \
        local(SHANGHAI, 2026, 4, 6, 9, 45)
    entry["remove_workdays"] = ["2026-02-14"]
    assert date(2026, 2, 14) not in Calendars.from_document(document).get(
        "branch_office").extra_workdays


def test_a_calendar_without_working_time_says_so():
    closed = WorkingCalendar("closed", UTC_ZONE, ((),) * 7)
    with pytest.raises(NoWorkingTime, match="closed"):
        closed.add(datetime(2026, 1, 1, tzinfo=UTC), "PT1H")


UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize("text", ["P1W", "P1Y", "PT", "P", "1H", "PT-1H", "P1M"])
def test_durations_a_working_calendar_refuses(text):
    with pytest.raises(ValueError, match="working-time duration"):
        WorkingDuration.parse(text)


# -- the calendars file: each mistake named by field --------------------------------------

def _broken(change) -> str:
    document = json.loads((ROOT / "data" / "calendars.json").read_text(encoding="utf-8"))
    change(document)
    with pytest.raises(CalendarsInvalid) as caught:
        Calendars.from_document(copy.deepcopy(document), "data/calendars.json")
    return str(caught.value)


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["calendars"]["branch_office"]["hours"].update(monday=["08:30-12:00",
                                                                        "11:00-17:30"]),
     "calendars.branch_office.hours.monday[1]"),
    (lambda d: d["calendars"]["branch_office"]["hours"].update(friday=["8:30-12:00"]),
     "calendars.branch_office.hours.friday[0]"),
    (lambda d: d["calendars"]["branch_office"]["hours"].update(funday=[]),
     "calendars.branch_office.hours: 'funday'"),
    (lambda d: d["calendars"]["branch_office"].update(time_zone="Mars/Olympus"),
     "calendars.branch_office.time_zone"),
    (lambda d: d["calendars"]["branch_office"].update(add_days_off=["2026-02-30"]),
     "calendars.branch_office.add_days_off[0]"),
    (lambda d: d["calendars"]["branch_office"].update(public_holidays={"country": "XX",
                                                                       "years": [2026, 2026]}),
     "calendars.branch_office.public_holidays"),
    (lambda d: d["calendars"]["branch_office"].update(standard_day="sunday"),
     "calendars.branch_office.standard_day"),
    (lambda d: d["calendars"]["branch_office"].update(hour={}),
     "calendars.branch_office: unknown field(s) hour"),
    (lambda d: d.update(default="nowhere"), "default: 'nowhere'"),
])
def test_a_broken_calendars_file_names_the_field(change, where):
    assert f"data/calendars.json: {where}" in _broken(change)


def test_a_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "calendars.json"
    path.write_text('{\n  "default": "x",\n  "calendars": {,}\n}', encoding="utf-8")
    with pytest.raises(CalendarsInvalid, match=r"calendars.json: .*line 3"):
        Calendars.load(path)


def test_departments_name_calendars_that_exist(calendars):
    directory = json.loads((ROOT / "data" / "departments.json").read_text(encoding="utf-8"))
    named = {d["id"]: d.get("calendar") for d in directory["departments"]}
    assert calendar_problems(calendars, named) == []
    assert calendar_problems(calendars, {"billing": "mars"}) == \
        ["billing: calendar 'mars' is not in the calendars file"]


# -- property: the arithmetic agrees with counting minute by minute ---------------------

ZONES = {"Asia/Shanghai": False, "Asia/Kolkata": False, "UTC": False,
         "Europe/Berlin": True, "America/New_York": True}
WINDOW_START = datetime(2026, 3, 2, tzinfo=UTC)  # both zones with DST change in March
WINDOW_DAYS = 40


@st.composite
def calendars_strategy(draw) -> WorkingCalendar:
    zone_name = draw(st.sampled_from(sorted(ZONES)))
    # Bounds of segments in a zone with DST stay clear of the small hours, where a wall
    # time can be skipped or repeated (module docstring: such bounds are read as fold=0).
    lowest = 240 if ZONES[zone_name] else 0
    points = st.lists(st.integers(lowest // 15, 96).map(lambda q: q * 15),
                      unique=True, max_size=6).map(sorted)
    week = []
    for _ in range(7):
        bounds = draw(points)
        week.append(tuple(zip(bounds[::2], bounds[1::2], strict=False)))
    days = st.dates(WINDOW_START.date() - timedelta(days=2),
                    WINDOW_START.date() + timedelta(days=WINDOW_DAYS + 20))
    days_off = draw(st.frozensets(days, max_size=8))
    workdays = draw(st.frozensets(days, max_size=4)) - days_off
    standard = draw(points)
    standard_day = tuple(zip(standard[::2], standard[1::2], strict=False)) or ((540, 1020),)
    return WorkingCalendar("random", ZoneInfo(zone_name), tuple(week), days_off, workdays,
                           standard_day)


def _working_minute(calendar: WorkingCalendar, minute: datetime) -> bool:
    wall = minute.astimezone(calendar.zone)
    of_day = wall.hour * 60 + wall.minute
    return any(start <= of_day < end for start, end in calendar.segments_on(wall.date()))


def _has_work(calendar: WorkingCalendar) -> bool:
    return any(calendar.week) or bool(calendar.extra_workdays)


minutes = st.integers(0, WINDOW_DAYS * 24 * 60).map(lambda m: WINDOW_START + timedelta(minutes=m))
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(calendars_strategy(), minutes, st.integers(0, 4 * 24 * 60))
def test_working_between_counts_the_working_minutes(calendar, start, length):
    end = start + timedelta(minutes=length)
    expected = sum(_working_minute(calendar, start + timedelta(minutes=m)) for m in range(length))
    assert calendar.working_between(start, end) == timedelta(minutes=expected)


@PROPERTY
@given(calendars_strategy(), minutes, st.integers(0, 20 * 60))
def test_add_time_stops_after_that_many_working_minutes(calendar, start, amount):
    if not any(calendar.week):  # keep the walk below short: weekly hours exist
        return
    moment, left = start, amount
    while left:
        if _working_minute(calendar, moment):
            left -= 1
        moment += timedelta(minutes=1)
    assert calendar.add_time(start, timedelta(minutes=amount)) == moment


@PROPERTY
@given(calendars_strategy(), minutes, st.integers(1, 3))
def test_whole_days_keep_the_position_in_the_day(calendar, start, days):
    if not any(calendar.week):
        return
    # The reference: the first working minute at or after start, its position among its
    # local day's working minutes, and the same position `days` working days on.
    moment = start
    while not _working_minute(calendar, moment):
        moment += timedelta(minutes=1)
    day = moment.astimezone(calendar.zone).date()
    day_minutes = _minutes_of(calendar, day)
    position = day_minutes.index(moment)
    target = day
    for _ in range(days if position else days - 1):
        target += timedelta(days=1)
        while not _minutes_of(calendar, target):
            target += timedelta(days=1)
    target_minutes = _minutes_of(calendar, target)
    # The end of the working minute that completes the position (a close, if the day is
    # shorter, or the close of the day before when the position is its very start).
    reached = min(position, len(target_minutes)) or len(target_minutes)
    expected = target_minutes[reached - 1] + timedelta(minutes=1)
    assert calendar.add(start, f"P{days}D") == expected


def _minutes_of(calendar: WorkingCalendar, day: date) -> list[datetime]:
    midnight = datetime(day.year, day.month, day.day, tzinfo=calendar.zone).astimezone(UTC)
    return [moment for m in range(-120, 26 * 60)
            if (moment := midnight + timedelta(minutes=m)).astimezone(calendar.zone).date() == day
            and _working_minute(calendar, moment)]
