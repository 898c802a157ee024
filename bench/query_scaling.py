"""Do the hot look-ups stay flat as open orders grow? Times the worker's due-timer
query and a department's first inbox page at each size.

Open orders are written straight into the tables (an order at its dispatch stage: an
instance row, its open task, its stage and department timers), since only these
tables take part in the queries being timed."""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from engine import ProcessEngine, SystemClock
from engine.store.database import make_engine
from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance, Timer
from engine.store.queries import TaskFilter, due_timers

from .common import ROOT, median_ms

DEPARTMENTS = 20
CHUNK = 5000
REPEATS = 30


def run(url: str, *, sizes: tuple[int, ...] = (10_000, 200_000)) -> dict:
    database = make_engine(url)
    sessions = sessionmaker(database, expire_on_commit=False)
    engine = ProcessEngine(sessions, SystemClock())
    engine.deployer.deploy_directory(ROOT / "processes", ROOT / "forms")
    now = SystemClock().now()
    with sessions() as session:
        definition = session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.key == "one_department")).one()
    results, present = {}, 0
    for size in sizes:
        _add_open_orders(sessions, definition, now, present, size - present)
        present = size
        _refresh_statistics(database)
        results[str(size)] = {
            "due_timers_ms": median_ms(lambda: _find_due_timers(sessions, now),
                                       repeats=REPEATS),
            "inbox_page_ms": median_ms(lambda: engine.reads.search_tasks(
                TaskFilter(department="department-07"), page=1, per_page=20),
                repeats=REPEATS),
        }
    database.dispose()
    small, large = (results[str(s)] for s in (sizes[0], sizes[-1]))
    results["ratio_large_to_small"] = {
        key: round(large[key] / small[key], 2) for key in ("due_timers_ms", "inbox_page_ms")}
    return results


def _refresh_statistics(database) -> None:
    """What autovacuum does in production: planner statistics and the visibility map."""
    with database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(
            "VACUUM ANALYZE" if database.dialect.name == "postgresql" else "ANALYZE")


def _find_due_timers(sessions, now) -> None:
    with sessions() as session, session.begin():
        session.scalars(due_timers(now, 100)).all()
        session.rollback()


def _add_open_orders(sessions, definition, now, first: int, count: int) -> None:
    """Orders due over the coming week, 1 % of them already overdue."""
    for start in range(first, first + count, CHUNK):
        instances, tasks, timers = [], [], []
        for n in range(start, min(start + CHUNK, first + count)):
            instance_id, task_id = str(uuid4()), str(uuid4())
            due = now + timedelta(minutes=(n % 100 - 1) * 100)
            department = f"department-{n % DEPARTMENTS:02d}"
            instances.append({
                "id": instance_id, "definition_id": definition.id,
                "definition_key": definition.key, "definition_version": definition.version,
                "business_key": f"SCALE-{n:07d}", "status": "running", "started_by": "bench",
                "start_fingerprint": "-", "state": "{}", "variables": {}, "row_version": 1,
                "started_at": due - timedelta(minutes=15), "updated_at": now,
            })
            tasks.append({
                "id": task_id, "instance_id": instance_id, "definition_id": definition.id,
                "definition_key": definition.key, "business_key": f"SCALE-{n:07d}",
                "stage": "dispatch", "stage_name": "Dispatch", "lane": "Acceptance",
                "department": department, "form": "dispatch.json", "state": "open",
                "created_at": due - timedelta(minutes=15), "due_at": due,
            })
            for kind, offset in (("stage", timedelta(0)), ("department", timedelta(hours=1))):
                timers.append({
                    "id": str(uuid4()), "instance_id": instance_id, "kind": kind,
                    "element_id": f"dispatch_{kind}_limit", "stage": "dispatch",
                    "lane": "Acceptance", "department": department,
                    "due_at": due + offset, "state": "pending",
                })
        with sessions() as session, session.begin():
            session.execute(insert(ProcessInstance), instances)
            session.execute(insert(HumanTask), tasks)
            session.execute(insert(Timer), timers)
