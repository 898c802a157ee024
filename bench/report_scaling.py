"""Do the managers' reports stay quick as history grows? Times the timeliness report
for one day and for 30 days, the KPI for a year, and the at-risk list, at two sizes of
history written at a province's pace (DENSITY stages a day, going back in time): a
day's report should not grow with the history behind it; a month's and the year's KPI
grow with what they cover.

Completed stages (with an urge per tenth order and a lapse per sixth stage) are
written straight into the tables: only these take part in the queries being timed."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from engine import ProcessEngine, SimulatedClock
from engine.reference.categories import Categories
from engine.reference.settings import Settings
from engine.reports import Reports
from engine.store.database import make_engine
from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance, TimelineEvent

from .common import ROOT, median_ms

DEPARTMENTS = 20
STAGES_PER_ORDER = 5
DENSITY = 3800  # stages a day: 230,000 orders a year of about 6 stages
CHUNK = 2000
REPEATS = 5
END = datetime(2026, 12, 31, tzinfo=UTC)


def run(url: str, *, sizes: tuple[int, ...] = (20_000, 200_000)) -> dict:
    """`sizes` are numbers of completed stages of history before END."""
    database = make_engine(url)
    sessions = sessionmaker(database, expire_on_commit=False)
    engine = ProcessEngine(sessions, SimulatedClock(END))
    engine.deployer.deploy_directory(ROOT / "processes", ROOT / "forms")
    reports = Reports(engine, Categories.load(ROOT / "data" / "categories.json"),
                      Settings.load(ROOT / "data" / "settings.json"))
    with sessions() as session:
        definition = session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.key == "one_department")).one()
    results, present = {}, 0
    for size in sizes:
        _add_history(sessions, definition, present, size - present)
        present = size
        results[str(size)] = {
            "timeliness_1_day_ms": _time(lambda: reports.timeliness(
                END - timedelta(days=1), END, "department")),
            "timeliness_30_days_ms": _time(lambda: reports.timeliness(
                END - timedelta(days=30), END, "department")),
            "kpi_year_ms": _time(lambda: reports.kpi(2026)),
            "at_risk_page_ms": _time(lambda: reports.at_risk(per_page=50)),
        }
    database.dispose()
    small, large = (results[str(s)] for s in (sizes[0], sizes[-1]))
    results["ratio_large_to_small"] = {key: round(large[key] / small[key], 2)
                                       for key in small}
    return results


def _time(report) -> float:
    return median_ms(report, repeats=REPEATS, digits=1)


def _add_history(sessions, definition, first: int, count: int) -> None:
    """Orders of STAGES_PER_ORDER completed stages each, the n-th opened n spans before
    END (so more history reaches further back)."""
    span = timedelta(days=1) / (DENSITY / STAGES_PER_ORDER)
    for start in range(first, first + count, CHUNK * STAGES_PER_ORDER):
        instances, tasks, events = [], [], []
        for n in range(start // STAGES_PER_ORDER,
                       min(start + CHUNK * STAGES_PER_ORDER, first + count) // STAGES_PER_ORDER):
            instance_id, opened = str(uuid4()), END - span * (n + 1) - timedelta(hours=6)
            instances.append({
                "id": instance_id, "definition_id": definition.id,
                "definition_key": definition.key, "definition_version": definition.version,
                "business_key": f"HIST-{n:07d}", "status": "completed", "started_by": "bench",
                "start_fingerprint": "-", "state": "{}", "variables": {}, "row_version": 1,
                "started_at": opened, "updated_at": opened, "ended_at": opened})
            for stage in range(STAGES_PER_ORDER):
                late = (n + stage) % 6 == 0
                limit = timedelta(hours=1)
                closed = opened + (limit * 1.2 if late else limit / 2)
                department = f"department-{(n + stage) % DEPARTMENTS:02d}"
                tasks.append({
                    "id": str(uuid4()), "instance_id": instance_id,
                    "definition_id": definition.id, "definition_key": definition.key,
                    "business_key": f"HIST-{n:07d}", "stage": f"stage_{stage}",
                    "stage_name": f"Stage {stage}", "lane": "Processing",
                    "department": department, "state": "completed", "created_at": opened,
                    "due_at": opened + limit, "completed_at": closed, "stage_limit": "PT1H"})
                if late:
                    events.append({"instance_id": instance_id, "type": "stage_overdue",
                                   "department": department, "at": opened + limit,
                                   "actor": "bench", "detail": {}})
                opened = closed
            if n % 10 == 0:
                events.append({"instance_id": instance_id, "type": "urged", "actor": "bench",
                               "at": opened, "detail": {"to_departments": ["department-01"]}})
        with sessions() as session, session.begin():
            session.execute(insert(ProcessInstance), instances)
            session.execute(insert(HumanTask), tasks)
            session.execute(insert(TimelineEvent), events)
