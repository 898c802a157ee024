"""Reports on a generated history (tests/history.py): 200 orders across the three flows,
run on the simulated clock with known lapses, urges and transfers. Every figure is
checked against what the generator did, computed here independently of the reports."""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import ProcessEngine, SimulatedClock, make_engine, make_session_factory
from engine.reference.categories import Categories
from engine.reference.directory import Directory
from engine.reference.settings import AssessmentSettings, Settings
from engine.reports import Reports
from engine.reports.kpi import _year
from engine.store.models import TimelineEvent
from engine.workorders.models import WorkOrder
from engine.workorders.service import WorkOrders
from tests.conftest import FORMS, PROCESSES, ROOT
from tests.databases import ON_POSTGRES, migrate
from tests.history import History, generate

ORDERS = 200
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
DATA = ROOT / "data"
AFTER_HISTORY = timedelta(minutes=40)  # the open stages age a little before reports run


@dataclass(frozen=True)
class World:
    engine: ProcessEngine
    reports: Reports
    history: History
    clock: SimulatedClock


@pytest.fixture(scope="module")
def world(module_database_url) -> World:
    """The history, generated once for the module."""
    if not ON_POSTGRES:
        migrate(module_database_url)
    clock = SimulatedClock(START)
    database = make_engine(module_database_url)
    engine = ProcessEngine(make_session_factory(database), clock,
                           directory=Directory.load(DATA / "departments.json"))
    engine.deployer.deploy_directory(PROCESSES, FORMS)
    categories = Categories.load(DATA / "categories.json")
    settings = Settings.load(DATA / "settings.json")
    history = generate(WorkOrders(engine, categories, settings), clock, ORDERS)
    clock.advance(AFTER_HISTORY)
    yield World(engine, Reports(engine, categories, settings), history, clock)
    database.dispose()


def completed_in(history: History, start: datetime, end: datetime):
    return [h for h in history.held if h.closed_at is not None and start <= h.closed_at < end]


def open_at(history: History, end: datetime):
    """Stages opened before `end` and not completed by then."""
    return [h for h in history.held
            if h.opened_at < end and (h.closed_at is None or h.closed_at >= end)]


KEYS = {"department": lambda h: h.department, "stage": lambda h: h.stage,
        "flow": lambda h: h.flow, "category": lambda h: h.category}


def expected_groups(history: History, start: datetime, end: datetime, now: datetime,
                    group_by: str) -> dict[str, dict]:
    key = KEYS[group_by]
    groups: dict[str, dict] = defaultdict(lambda: {"orders": set(), "seconds": [], "late": 0,
                                                   "open": 0, "open_overdue": 0})
    for held in completed_in(history, start, end):
        group = groups[key(held)]
        group["orders"].add(held.number)
        group["seconds"].append(held.seconds)
        group["late"] += held.late
    for held in open_at(history, end):
        group = groups[key(held)]
        group["orders"].add(held.number)
        group["open"] += 1
        group["open_overdue"] += held.opened_at + held.limit < min(end, now)
    return groups


def quantile(values: list[float], percent: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


@pytest.mark.parametrize("group_by", ["department", "stage", "flow", "category"])
def test_timeliness_over_the_whole_history(world, group_by):
    reports, history, clock = world.reports, world.history, world.clock
    now = clock.now()
    report = reports.timeliness(START, now, group_by)
    expected = expected_groups(history, START, now, now, group_by)
    assert [g["group"] for g in report["groups"]] == sorted(expected)
    for row in report["groups"]:
        want = expected[row["group"]]
        completed = len(want["seconds"])
        assert (row["orders"], row["stages_completed"], row["breached"], row["on_time"]) == (
            len(want["orders"]), completed, want["late"], completed - want["late"]), row
        assert row["on_time_rate"] == (round((completed - want["late"]) / completed, 4)
                                       if completed else None)
        assert (row["open"], row["open_overdue"]) == (want["open"], want["open_overdue"])
        for percent in (50, 90, 95):
            assert row[f"duration_p{percent}"] == pytest.approx(
                quantile(want["seconds"], percent)), (row["group"], percent)
    total = report["total"]
    assert total["stages_completed"] == sum(len(g["seconds"]) for g in expected.values())
    assert total["orders"] == ORDERS


def test_hand_counted_figures(world):
    """Dispatch is every order's first stage, late when the order's number is a multiple
    of 6: 34 of the 200 (0, 6, ..., 198), so 166 on time."""
    reports, history, clock = world.reports, world.history, world.clock
    report = reports.timeliness(START, clock.now(), "stage")
    [dispatch] = [g for g in report["groups"] if g["group"] == "dispatch"]
    assert (dispatch["stages_completed"], dispatch["breached"], dispatch["on_time"]) == (
        200, 34, 166)
    assert dispatch["on_time_rate"] == 0.83
    # Every 4th order is urged once while handling, every 9th transferred (those still
    # before handling at the end are not).
    total = reports.timeliness(START, clock.now(), "flow")["total"]
    assert (total["urges_per_order"], total["transfers_per_order"]) == (
        len(history.urges) / ORDERS, len(history.transfers) / ORDERS)
    assert 45 <= len(history.urges) <= 50 and 20 <= len(history.transfers) <= 23


def test_urges_and_transfers_are_counted_for_who_received_and_who_made_them(world):
    reports, history, clock = world.reports, world.history, world.clock
    report = reports.timeliness(START, clock.now(), "department")
    groups = expected_groups(history, START, clock.now(), clock.now(), "department")
    urged, transferred = defaultdict(int), defaultdict(int)
    for number, departments in history.urges.items():
        for department in departments:
            urged[department] += number in groups[department]["orders"]
    for department in history.transfers.values():
        transferred[department] += 1
    for row in report["groups"]:
        orders = len(groups[row["group"]]["orders"])
        assert row["urges_per_order"] == round(urged[row["group"]] / orders, 4)
        assert row["transfers_per_order"] == round(transferred[row["group"]] / orders, 4)


def test_a_window_counts_the_stages_completed_inside_it(world):
    reports, history, clock = world.reports, world.history, world.clock
    start = datetime(2026, 2, 1, tzinfo=SHANGHAI)
    end = datetime(2026, 3, 1, tzinfo=SHANGHAI)
    report = reports.timeliness(start, end, "flow")
    expected = expected_groups(history, start, end, clock.now(), "flow")
    assert {g["group"]: (g["orders"], g["stages_completed"], g["breached"], g["open"],
                         g["open_overdue"]) for g in report["groups"]} == {
        flow: (len(want["orders"]), len(want["seconds"]), want["late"], want["open"],
               want["open_overdue"]) for flow, want in expected.items()}
    # An order crossing midnight into March: its stage was open at the window's end.
    assert sum(g["open"] for g in report["groups"]) >= 1


def test_daily_on_time_rate_per_department(world):
    reports, history = world.reports, world.history
    start, end = datetime(2026, 2, 1, tzinfo=SHANGHAI), datetime(2026, 2, 8, tzinfo=SHANGHAI)
    series = reports.daily_on_time(start, end)
    tally = defaultdict(lambda: [0, 0])
    for held in completed_in(history, start, end):
        day = held.closed_at.astimezone(SHANGHAI).date()
        tally[(held.department, day)][0] += not held.late
        tally[(held.department, day)][1] += 1
    for department, points in series.items():
        assert len(points) == 7
        for day, rate, count in points:
            on_time, total = tally.get((department, day), (0, 0))
            assert count == total
            assert rate == (round(on_time / total, 4) if total else None)
    assert {d for d, _day in tally} == set(series)
    svg = reports.daily_on_time_chart(start, end)
    assert svg.startswith(b"<?xml") and b"Network operations" in svg


def test_stages_at_risk_and_breached(world):
    reports, history, clock = world.reports, world.history, world.clock
    now = clock.now()
    page, threshold = reports.at_risk(per_page=100)
    assert threshold == 75.0  # the escalation ladder's warning rung
    expected = {}
    for held in open_at(history, now):
        used = (now - held.opened_at) / held.limit
        if used >= 0.75 or held.opened_at + held.limit < now:
            expected[held.number] = "breached" if held.opened_at + held.limit < now \
                else "at_risk"
    got = {item.as_dict()["business_key"]: item.as_dict()["status"] for item in page.items}
    assert got == expected and page.total == len(expected)
    assert [i.task.due_at for i in page.items] == sorted(i.task.due_at for i in page.items)
    breached, _ = reports.at_risk(status="breached", sort="-percent", per_page=100)
    percents = [item.percent_used for item in breached.items]
    assert percents == sorted(percents, reverse=True) and all(p > 100 for p in percents)
    everyone, _ = reports.at_risk(threshold_percent=1, per_page=100)
    assert everyone.total == len(open_at(history, now))


def liable_counts(history: History) -> dict[str, dict[int, int]]:
    """Per department and month (Shanghai): orders with a late stage of the department,
    counted in the month of its first one. (A lapse is recorded when the late stage is
    completed: no worker runs in the history.)"""
    first: dict[tuple[str, str], datetime] = {}
    for held in history.held:
        if held.late:
            key = (held.department, held.number)
            first[key] = min(first.get(key, held.closed_at), held.closed_at)
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (department, _number), at in first.items():
        counts[department][at.astimezone(SHANGHAI).month] += 1
    return counts


def test_each_late_stage_lapsed_once_and_totals_only_with_it(world):
    """A department total lapses only with a late stage of that department (in the single
    flow, where handling's limit is the whole total)."""
    engine, history = world.engine, world.history
    with engine.reading() as session:
        lapses = session.execute(select(TimelineEvent.type, TimelineEvent.instance_id,
                                        TimelineEvent.department).where(
            TimelineEvent.type.in_(["stage_overdue", "department_overdue"]))).all()
        numbers = dict(session.execute(select(WorkOrder.instance_id, WorkOrder.number)).all())
    assert sum(kind == "stage_overdue" for kind, *_ in lapses) == sum(
        h.late for h in history.held)
    late_pairs = {(h.number, h.department) for h in history.held if h.late}
    totals = [(numbers[i], d) for kind, i, d in lapses if kind == "department_overdue"]
    assert totals and set(totals) <= late_pairs


def test_lapses_are_a_timeliness_figure_beside_the_kpi_not_its_input(world):
    """Issue 14: the KPI counts company-liable upgraded complaints (tests/api/
    test_upgrades.py takes its three branches); each department's lapsed orders are a
    separate timeliness figure, counted once per order in the month of the first."""
    engine, history, clock = world.engine, world.history, world.clock
    counts = liable_counts(history)
    directory = Directory.from_document({"departments": [{"id": d} for d in counts]})
    assessing = ProcessEngine(engine.sessions, clock, directory=directory)
    settings = Settings(assessment=AssessmentSettings(time_zone=SHANGHAI))
    report = Reports(assessing, Categories.load(DATA / "categories.json"), settings).kpi(
        2026, 2)
    figures = {d["department"]: d for d in report["departments"]}
    assert set(counts) <= set(figures)
    for department, by_month in counts.items():
        row = figures[department]
        lapses = row["timeliness"]
        assert lapses["month"]["lapsed_orders"] == by_month.get(2, 0)
        assert len(lapses["month"]["orders"]) == by_month.get(2, 0)
        assert lapses["year"]["lapsed_orders"] == by_month.get(1, 0) + by_month.get(2, 0)
        assert row["month"]["liable_complaints"] == 0 and row["year"]["deduction"] == 0


@pytest.mark.parametrize(("counts", "ceiling", "branch", "deduction"), [
    ([2, 3, 1], 12, "within_ceiling", Decimal("0.3")),  # (1 + 1.5 + 0.5) x 0.1
    ([12], 12, "within_ceiling", Decimal("0.6")),  # at the ceiling: still within
    ([10, 4], 12, "above_ceiling", Decimal("6.0")),  # 5 + 0.5 x 2
    ([20, 2], 12, "above_ceiling", Decimal("10.0")),  # 5 + 0.5 x 10: just at the cap
    ([20, 3], 12, "capped", Decimal("10")),  # 5 + 0.5 x 11 = 10.5, at most 10
    ([30], 12, "capped", Decimal("10")),  # 5 + 0.5 x 18 = 14, at most 10
])
def test_the_year_end_formula_by_hand(counts, ceiling, branch, deduction):
    months = [{"liable_complaints": c, "deduction": Decimal("0.5") * c, "orders": [],
               "major_complaints": 0, "major_deduction": Decimal(0)} for c in counts]
    year = _year(AssessmentSettings(), months, ceiling)
    assert (year["branch"], year["deduction"]) == (branch, deduction)
