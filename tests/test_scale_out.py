"""Several timer-worker processes on one PostgreSQL, and gunicorn with several workers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from engine import ProcessEngine, SimulatedClock, SystemClock
from engine.store.models import TimelineEvent, Timer
from tests.api.conftest import deploy_generic_over_http, free_port
from tests.conftest import FORMS, PROCESSES, ROOT
from tests.consistency import assert_consistent
from tests.databases import ON_POSTGRES
from tests.orders import SUBMISSION

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="timer workers scale out on PostgreSQL; set TEST_DATABASE_URL")


@pytest.fixture
def past_engine(make_process_engine, clock):
    """An engine whose clock is two days behind real time: what it starts is overdue
    for workers running on the real clock."""
    clock.set(SystemClock().now() - timedelta(days=2))
    engine = make_process_engine()
    engine.deployer.deploy_directory(PROCESSES, FORMS)
    return engine


def _start_overdue_orders(engine: ProcessEngine, count: int) -> list[str]:
    """`count` orders at dispatch: each has a due stage timer and a due department timer."""
    def start(n: int) -> str:
        return engine.starter.start("one_department", f"SCALE-{n:05d}",
                                    {**SUBMISSION, "urgency": "urgent"}).instance_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(start, range(count)))


def _worker(database_url: str, name: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", "--worker-id", name, "--interval", "0.05",
         *args],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _count(engine: ProcessEngine, query) -> int:
    with engine.reading() as session:
        return session.scalar(query)


def _wait_until(condition, timeout_seconds: float, what: str) -> None:
    """Poll the database for worker progress (processes, not timers, are awaited)."""
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


FIRINGS = select(func.count()).select_from(TimelineEvent).where(
    TimelineEvent.type == "timer_fired")
PENDING = select(func.count()).select_from(Timer).where(Timer.state == "pending")
# Each overdue order: a stage limit, a department total and the order deadline, four
# ladder rungs of the limits (warning, breach and management for the stage; breach for
# the department) and two of the deadline (warning, breach). Urgent orders: their 12 h
# deadline is as far past as the limits, so every row is due (a normal order's 48 h
# deadline would fall due just as the test runs).
ROWS_PER_ORDER = 9
LIMIT_ROWS_PER_ORDER = 3


@needs_postgres
def test_four_worker_processes_fire_three_thousand_timers_and_rungs_exactly_once(
        past_engine, database_url):
    instance_ids = _start_overdue_orders(past_engine, 500)
    assert _count(past_engine, PENDING.where(Timer.kind != "rung")) == \
        500 * LIMIT_ROWS_PER_ORDER
    assert _count(past_engine, PENDING) == 500 * ROWS_PER_ORDER

    workers = [_worker(database_url, f"w{n}", "--batch-size", "50") for n in range(4)]
    try:
        _wait_until(lambda: _count(past_engine, PENDING) == 0, 300, "all timers to fire")
    finally:
        _stop(*workers)
    assert all(w.returncode == 0 for w in workers)

    assert _count(past_engine, FIRINGS) == 1000  # stage and department (a deadline:
    # order_overdue)
    distinct = select(func.count(func.distinct(TimelineEvent.instance_id + "/"
                                               + TimelineEvent.stage + "/"
                                               + TimelineEvent.type))).where(
        TimelineEvent.type.in_(["stage_overdue", "department_overdue"]))
    assert _count(past_engine, distinct) == 1000  # one of each lapse per order
    rungs = select(func.count()).select_from(TimelineEvent).where(
        TimelineEvent.type == "escalated")
    assert _count(past_engine, rungs) == 500 * (ROWS_PER_ORDER - LIMIT_ROWS_PER_ORDER)
    with past_engine.reading() as session:
        by_worker = dict(session.execute(
            select(TimelineEvent.actor, func.count()).where(
                TimelineEvent.type == "timer_fired").group_by(TimelineEvent.actor)).all())
    assert set(by_worker) <= {"w0", "w1", "w2", "w3"} and len(by_worker) >= 2, by_worker
    for instance_id in instance_ids[::25]:
        assert_consistent(past_engine, instance_id)


@needs_postgres
def test_a_killed_workers_batch_is_fired_after_its_lease_exactly_once(
        past_engine, database_url):
    instance_ids = _start_overdue_orders(past_engine, 300)
    batch = str(300 * ROWS_PER_ORDER)  # the victim takes every due row at once
    victim = _worker(database_url, "victim", "--batch-size", batch, "--lease-seconds", "300")
    victim_fired = FIRINGS.where(TimelineEvent.actor == "victim")
    try:
        _wait_until(lambda: _count(past_engine, victim_fired) > 0, 120,
                    "the victim to be half-way through its batch")
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    leased = PENDING.where(Timer.lease_owner == "victim")
    held = _count(past_engine, leased)
    assert held > 0, "the victim finished its batch before it could be killed"

    # Until the lease runs out nobody else takes those timers ...
    assert past_engine.timers.fire_due_timers("early-bird") == 0
    # ... and afterwards another worker fires every one of them, once.
    later = ProcessEngine(past_engine.sessions,
                          SimulatedClock(SystemClock().now() + timedelta(seconds=301)))
    rescued = 0
    while fired := later.timers.fire_due_timers("rescuer"):
        rescued += fired
    assert rescued == held
    assert _count(past_engine, PENDING) == 0
    assert _count(past_engine, FIRINGS) == 600
    for instance_id in instance_ids:
        assert_consistent(past_engine, instance_id)


def test_gunicorn_with_four_workers_serves_the_api(database_url, migrated_postgres, tmp_path):
    from api import create_app, prepare_database, process_engine
    from api.auth import create_token
    from api.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    prepare_database(app, deploy=False, upgrade=True)
    engine = process_engine(app)
    with engine.sessions() as session, session.begin():
        integrator = create_token(session, name="crm", role="integrator", department=None,
                                  now=engine.clock.now())
        desk = create_token(session, name="desk", role="department",
                            department="provincial_service_desk", now=engine.clock.now())
        designer = create_token(session, name="designer", role="designer", department=None,
                                now=engine.clock.now())
    with app.app_context():
        db.engine.dispose()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool:
            try:
                return requests.get(f"{base}/readyz", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):
                # Not listening yet, or a worker still deploying holds the database.
                assert server.poll() is None, server.stdout.read()
                return False

        _wait_until(ready, 60, "gunicorn to start")
        # Four processes deployed processes/ at once: still one version of each.
        definitions = requests.get(f"{base}/api/v1/process-definitions", timeout=10,
                                   headers={"Authorization": f"Bearer {integrator}"}).json()
        assert {(d["key"], d["versions"]) for d in definitions} == {
            ("single_dispatch", 1), ("one_department", 1), ("two_department_relay", 1)}
        # A start (of a flow that is no work order's, as the generic start takes) and the
        # inbox that shows it, each served by whichever worker takes the request.
        [key] = deploy_generic_over_http(base, designer)
        started = requests.post(
            f"{base}/api/v1/process-definitions/{key}/start", timeout=10,
            headers={"Authorization": f"Bearer {integrator}"},
            json={"business_key": "GUNI-1", "variables": {
                **SUBMISSION, "acceptance_department": "provincial_service_desk"}})
        assert started.status_code == 201, started.text
        inbox = requests.get(f"{base}/api/v1/tasks", timeout=10,
                             headers={"Authorization": f"Bearer {desk}"}).json()
        assert [t["business_key"] for t in inbox["items"]] == ["GUNI-1"]
    finally:
        _stop(server)
