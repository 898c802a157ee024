"""Limits a diagram counts in working time, on the simulated clock: the stage limit, the
department total over non-contiguous stages and the escalation ladder's rungs follow the
calendar of the department holding the stage (tests/fixtures/departments.json's
departments, given calendars here)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import ProcessEngine, SimulatedClock, create_schema, make_engine, make_session_factory
from engine.clock import utc
from engine.definitions.limits import DEFAULT_LIMITS
from engine.definitions.timer_bounds import duration_problems
from engine.reference.calendars import Calendars, CalendarsInvalid, calendar_resolver
from engine.reference.directory import Directory
from engine.store.models import Timer
from tests.conftest import FORMS, PROCESSES
from tests.orders import OrderDriver

ROOT = Path(__file__).resolve().parents[1]
SHANGHAI = ZoneInfo("Asia/Shanghai")
SECOND = timedelta(seconds=1)
# The handle stage and the processing department's total count working time; the
# other stages keep elapsed time.
WORKING_EDITS = {
    'scaled("PT2H", limit_factor)': 'scaled("PT2H", limit_factor, "working")',
    'department_time_left("PT3H", limit_factor)':
        'department_time_left("PT3H", limit_factor, "working")',
}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def working_copy() -> Path:
    text = (PROCESSES / "one_department.bpmn").read_text(encoding="utf-8")
    for elapsed, working in WORKING_EDITS.items():
        assert elapsed in text
        text = text.replace(elapsed, working)
    return text


@pytest.fixture
def calendars() -> Calendars:
    return Calendars.load(ROOT / "data" / "calendars.json")


@pytest.fixture
def directory() -> Directory:
    document = json.loads((ROOT / "data" / "departments.json").read_text("utf-8"))
    extra = json.loads((ROOT / "tests" / "fixtures" / "departments.json").read_text("utf-8"))
    for department in extra["departments"]:
        department["calendar"] = "branch_office"
    extra["departments"][0]["calendar"] = "hotline_24x7"  # the front desk
    document["departments"] += extra["departments"]
    return Directory.from_document(document)


@pytest.fixture
def working(database_url, calendars, directory, tmp_path):
    clock = SimulatedClock(at(2026, 4, 3, 16, 45))  # the Friday before Qingming (4-6 April)
    db = make_engine(database_url)
    create_schema(db)
    engine = ProcessEngine(make_session_factory(db), clock, directory=directory,
                           calendars=calendars)
    folder = tmp_path / "processes"
    folder.mkdir()
    for path in PROCESSES.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "one_department.bpmn").write_text(working_copy(), encoding="utf-8")
    engine.deployer.deploy_directory(folder, FORMS)
    yield OrderDriver(engine, clock), clock
    db.dispose()


def test_a_stage_opened_before_a_holiday_fires_after_it_at_the_right_minute(working):
    orders, clock = working
    instance_id = orders.start("one_department")
    handle = orders.complete_until(instance_id, "handle")
    assert handle.stage_limit == "PT2H" and handle.stage_clock == "working"
    due = at(2026, 4, 7, 9, 45)  # 45 min on Friday, 1 h 15 on Tuesday after the holiday
    assert handle.due_at == due
    orders.tick(due - clock.now() - SECOND)
    assert orders.events(instance_id, "stage_overdue") == []
    orders.tick(2 * SECOND)
    overdue = orders.events(instance_id, "stage_overdue")
    assert [event.stage for event in overdue] == ["handle"]
    assert datetime.fromisoformat(overdue[0].detail["due_at"]) == due


def test_the_ladder_rungs_fall_on_working_time_fractions(working):
    orders, clock = working
    instance_id = orders.start("one_department")
    orders.complete_until(instance_id, "handle")
    rungs = _rungs(orders, instance_id)
    # 75 % of 2 working hours: 45 min on Friday, 45 min on Tuesday; 200 %: 11:45.
    assert rungs[("warning", "stage")] == at(2026, 4, 7, 9, 15)
    assert rungs[("breach", "stage")] == at(2026, 4, 7, 9, 45)
    assert rungs[("management", "stage")] == at(2026, 4, 7, 11, 45)
    # The department total (3 working hours) passes at 10:45 on Tuesday.
    assert rungs[("breach", "department")] == at(2026, 4, 7, 10, 45)
    # And the warning fires there, not during the holiday (the order deadline, 48 h
    # elapsed, has rungs of its own meanwhile).
    orders.tick(at(2026, 4, 7, 9, 15) - clock.now() - SECOND)
    assert _stage_rungs(orders, instance_id) == []
    orders.tick(2 * SECOND)
    assert _stage_rungs(orders, instance_id) == ["warning"]


def _stage_rungs(orders: OrderDriver, instance_id: str) -> list[str]:
    return [e.detail["rung"] for e in orders.events(instance_id, "escalated")
            if e.detail["limit_kind"] == "stage"]


def _rungs(orders: OrderDriver, instance_id: str) -> dict[tuple[str, str], datetime]:
    with orders.engine.reading() as session:
        rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                                   Timer.kind == "rung",
                                                   Timer.state == "pending")).all()
        return {(row.element_id, row.detail["limit_kind"]): utc(row.due_at) for row in rows}


def test_the_department_total_counts_only_its_working_time(working):
    orders, clock = working
    instance_id = orders.start("one_department")
    orders.complete_until(instance_id, "handle")  # Friday 16:45
    orders.tick(timedelta(hours=16, minutes=45))  # Saturday 09:30: 45 working minutes
    orders.complete(instance_id, "handle")
    result = orders.open_task(instance_id)
    assert result.stage == "return_result" and result.department_clock == "working"
    # 3 h total, 45 min used: 2 h 15 of working time from Saturday 09:30, after the
    # holiday: Tuesday 10:45.
    orders.tick(at(2026, 4, 7, 10, 45) - clock.now() - SECOND)
    assert orders.events(instance_id, "department_overdue") == []
    orders.tick(2 * SECOND)
    assert [e.stage for e in orders.events(instance_id, "department_overdue")] == \
        ["return_result"]


def test_a_limit_in_working_time_without_calendars_is_refused_when_it_starts(
        database_url, tmp_path):
    clock = SimulatedClock(at(2026, 4, 3, 16, 0))
    db = make_engine(database_url)
    create_schema(db)
    engine = ProcessEngine(make_session_factory(db), clock)
    folder = tmp_path / "processes"
    folder.mkdir()
    (folder / "one_department.bpmn").write_text(working_copy(), encoding="utf-8")
    # The tables the diagram consults (return_visit: the gateway after feedback).
    for name in ("routing.dmn", "service_levels.dmn", "return_visit.dmn"):
        (folder / name).write_bytes((PROCESSES / name).read_bytes())
    engine.deployer.deploy_directory(folder, FORMS)
    orders = OrderDriver(engine, clock)
    instance_id = orders.start("one_department")
    with pytest.raises(Exception, match="no working calendars"):
        orders.complete_until(instance_id, "handle")
    db.dispose()


@pytest.mark.parametrize(("expression", "problem"), [
    ('scaled("PT2H", limit_factor, "working")', None),
    ('department_time_left("P1D", limit_factor, "elapsed")', None),
    ('scaled("PT2H", limit_factor, "office")', "which clock the limit counts"),
    ('scaled("PT2H", limit_factor, clock)', "which clock the limit counts"),
])
def test_the_clock_a_diagram_names_is_checked_at_deploy(expression, problem):
    problems = duration_problems(expression, DEFAULT_LIMITS)
    if problem is None:
        assert problems == []
    else:
        assert problem in " ".join(problems)


def test_a_department_naming_an_unknown_calendar_is_refused(calendars):
    directory = Directory.from_document({"departments": [
        {"id": "billing", "calendar": "moon_office"}]})
    with pytest.raises(CalendarsInvalid, match="billing: calendar 'moon_office'"):
        calendar_resolver(calendars, directory)


def _pausing(orders: OrderDriver, instance_id: str, task_id: str, resume: bool) -> None:
    engine = orders.engine
    with engine.transaction() as session:
        step = engine.commands.lock(session, instance_id)
        human = step.open_task_rows()[task_id]
        if resume:
            engine.pipeline.pausing.resume(step, human, actor="network_ops", how="hand")
        else:
            engine.pipeline.pausing.pause(step, human, actor="network_ops",
                                          reason="waiting_for_customer")
        engine.pipeline.advance(step)
        engine.pipeline.save(step)


def test_a_pause_moves_working_limits_by_the_paused_working_time(working):
    orders, clock = working
    instance_id = orders.start("one_department")
    handle = orders.complete_until(instance_id, "handle")  # Friday 16:45, due Tue 09:45
    _pausing(orders, instance_id, handle.id, resume=False)
    orders.tick(at(2026, 4, 7, 9, 0) - clock.now())  # Tuesday 09:00: nothing passed
    assert orders.events(instance_id, "stage_overdue", "escalated") == []
    _pausing(orders, instance_id, handle.id, resume=True)
    # Paused 45 min on Friday and 30 min on Tuesday: every moment moves 1 h 15 of
    # working time on.
    assert orders.open_task(instance_id).due_at == at(2026, 4, 7, 11, 0)
    rungs = _rungs(orders, instance_id)
    assert rungs[("warning", "stage")] == at(2026, 4, 7, 10, 30)
    assert rungs[("management", "stage")] == at(2026, 4, 7, 14, 30)  # over lunch
    assert rungs[("breach", "department")] == at(2026, 4, 7, 12, 0)  # 10:45 + 1 h 15
    orders.tick(at(2026, 4, 7, 11, 0) - clock.now() - SECOND)
    assert orders.events(instance_id, "stage_overdue") == []
    orders.tick(2 * SECOND)
    assert [e.stage for e in orders.events(instance_id, "stage_overdue")] == ["handle"]


def test_a_calendar_change_recomputes_open_stages_and_leaves_closed_ones(
        working, database_url, directory):
    orders, clock = working
    open_order = orders.start("one_department")
    handle = orders.complete_until(open_order, "handle")  # Friday 16:45: due Tue 09:45
    closed_order = orders.start("one_department")
    orders.complete_until(closed_order, "handle")
    orders.tick(timedelta(minutes=15))  # 17:00: 15 working minutes of the total
    done = orders.complete(closed_order, "handle")
    returning = orders.open_task(closed_order)  # the total's 2 h 45 left: Tue 10:45
    assert returning.stage == "return_result"

    # Tuesday 7 April is announced a day off: restart on the new calendars.
    document = json.loads((ROOT / "data" / "calendars.json").read_text(encoding="utf-8"))
    document["calendars"]["branch_office"]["add_days_off"] = ["2026-04-07"]
    db = make_engine(database_url)
    engine = ProcessEngine(make_session_factory(db), clock, directory=directory,
                           calendars=Calendars.from_document(document))
    try:
        changes = engine.recomputer.recompute_all()
    finally:
        db.dispose()
    moved = {(c.business_key, c.stage, c.what): (c.was, c.now) for c in changes}
    key_of = {open_order: _business_key(orders, open_order),
              closed_order: _business_key(orders, closed_order)}
    assert moved[(key_of[open_order], "handle", "stage")] == (
        at(2026, 4, 7, 9, 45), at(2026, 4, 8, 9, 45))
    assert moved[(key_of[open_order], "handle", "warning")] == (
        at(2026, 4, 7, 9, 15), at(2026, 4, 8, 9, 15))
    assert moved[(key_of[closed_order], "return_result", "department")] == (
        at(2026, 4, 7, 10, 45), at(2026, 4, 8, 10, 45))
    # The completed handling stage keeps the due time that applied to it.
    assert not any(c.stage == "handle" for c in changes if c.instance_id == closed_order)
    [completed] = [t for t in orders.engine.reads.tasks(instance_id=closed_order,
                                                          state="completed")
                   if t.id == done.id]
    assert completed.due_at == at(2026, 4, 7, 9, 45)
    assert orders.open_task(open_order).due_at == at(2026, 4, 8, 9, 45)
    assert sorted(e.detail["limit"] for e in orders.events(open_order, "due_recomputed")) == \
        ["breach", "breach", "department", "management", "stage", "warning"]
    # The moved timer fires at its new moment, not the old one.
    orders.tick(at(2026, 4, 8, 9, 45) - clock.now() - SECOND)
    assert orders.events(open_order, "stage_overdue") == []
    orders.tick(2 * SECOND)
    assert [e.stage for e in orders.events(open_order, "stage_overdue")] == ["handle"]
    assert handle.id == orders.open_task(open_order).id


def _business_key(orders: OrderDriver, instance_id: str) -> str:
    return orders.engine.reads.get_instance(instance_id).business_key


def test_a_calendar_change_moves_the_due_times_a_pause_keeps(working, database_url,
                                                             directory):
    orders, clock = working
    instance_id = orders.start("one_department")
    handle = orders.complete_until(instance_id, "handle")  # Friday 16:45: due Tue 09:45
    orders.tick(timedelta(minutes=15))
    _pausing(orders, instance_id, handle.id, resume=False)  # paused at 17:00
    document = json.loads((ROOT / "data" / "calendars.json").read_text(encoding="utf-8"))
    document["calendars"]["branch_office"]["add_days_off"] = ["2026-04-07"]
    db = make_engine(database_url)
    engine = ProcessEngine(make_session_factory(db), clock, directory=directory,
                           calendars=Calendars.from_document(document))
    try:
        changes = engine.recomputer.recompute_all()
        assert {(c.what, c.now) for c in changes if c.what in ("stage", "warning")} == {
            ("stage", at(2026, 4, 8, 9, 45)), ("warning", at(2026, 4, 8, 9, 15))}
        # Resumed on Wednesday 09:00, after 30 + 30 working minutes paused.
        clock.set(at(2026, 4, 8, 9, 0))
        resumed = OrderDriver(engine, clock)
        _pausing(resumed, instance_id, handle.id, resume=True)
        assert resumed.open_task(instance_id).due_at == at(2026, 4, 8, 10, 45)
        assert _rungs(resumed, instance_id)[("warning", "stage")] == at(2026, 4, 8, 10, 15)
    finally:
        db.dispose()
