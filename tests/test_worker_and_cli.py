"""The timer-worker loop and the `flask` commands."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.runtime.worker import embedded_worker_id, run_embedded_worker, run_worker
from engine.store.models import Timer
from tests.conftest import ROOT, T0


def test_worker_loop_fires_due_timers_and_stops_when_asked(orders, engine):
    first = orders.start("one_department")
    second = orders.start("single_dispatch")
    orders.clock.advance(timedelta(minutes=16))
    stop = threading.Event()
    batches = []

    def after_batch(fired: int) -> None:
        batches.append(fired)
        stop.set()

    total = run_worker(engine, stop, interval_seconds=0, worker_id="w", on_batch=after_batch)
    # Each order: the dispatch limit, and the ladder's warning and breach rungs.
    assert total == 6 and batches == [6]
    for instance_id in (first, second):
        assert [e.stage for e in orders.events(instance_id, "stage_overdue")] == ["dispatch"]


def test_worker_takes_the_next_batch_at_once_when_one_was_full(orders, engine):
    for _ in range(5):
        orders.start("one_department")
    orders.clock.advance(timedelta(minutes=16))
    stop = threading.Event()
    batches = []

    def after_batch(fired: int) -> None:
        batches.append(fired)
        if fired == 0:
            stop.set()

    run_worker(engine, stop, batch_size=2, interval_seconds=0, on_batch=after_batch)
    # Two orders per batch, three firings each (the limit and two ladder rungs).
    assert batches == [6, 6, 3, 0]


@pytest.fixture
def make_app(database_url):
    """Apps on the test database, migrated and deployed; their pools closed afterwards."""
    from api import create_app, prepare_database
    from api.extensions import db

    apps = []

    def build(clock=None):
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CLOCK": clock})
        prepare_database(app, upgrade=True)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_app_deploys_the_diagrams_on_start(make_app, clock):
    from api import process_engine

    app = make_app(clock)
    engine = process_engine(app)
    instance_id = engine.starter.start("two_department_relay", "WO-app", {
        "customer_phone": "13812345678", "category": "billing/overcharge/plan",
        "content": "Charged twice.", "channel": "web",
        "acceptance_department": "provincial_service_desk",
    }).instance_id
    assert engine.reads.tasks(instance_id=instance_id)[0].stage == "dispatch"
    # A second app on the same database finds the same versions (no duplicates).
    again = process_engine(make_app(clock))
    assert again.reads.get_instance(instance_id).definition_version == 1


def test_flask_demo_prints_six_orders_three_late(make_app):
    app = make_app()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    total = re.search(r"^total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", result.output, re.MULTILINE)
    assert total is not None, result.output
    orders, completed, with_missed, _missed = map(int, total.groups())
    assert (orders, completed, with_missed) == (6, 6, 3)
    assert result.output.count("MISSED") == 3
    assert "stage_overdue" in result.output
    assert f"{T0:%Y-%m-%d %H:%M}" in result.output
    # Issue 14: the outcomes, and the month's KPI on the liable upgraded complaint.
    assert re.search(r"resolved on the spot: WO-\S+ first_contact=True, closed", result.output)
    assert "complaint with 3 earlier within 30 days" in result.output
    assert re.search(r"network_operations\s+1\.0 x 1 = 1\.0\s+orders WO-", result.output)


def test_flask_worker_stops_cleanly_on_ctrl_c(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "AUTO_MIGRATE": "1",
           "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "worker", "--interval", "0.05"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        started = []
        for line in worker.stdout:  # start-up logs, then the worker's own line
            started.append(line)
            if "running; Ctrl-C to stop" in line:
                break
        assert "running; Ctrl-C to stop" in started[-1], "".join(started)
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "worker stopped; 0 timers fired" in output


def _lease(engine, instance_id: str, owner: str, until) -> None:
    """Leave `instance_id`'s pending timers leased by `owner`, as a worker that claimed
    them and died before firing them would."""
    with engine.sessions() as session, session.begin():
        session.execute(update(Timer).where(Timer.instance_id == instance_id,
                                            Timer.state == "pending")
                        .values(lease_owner=owner, lease_expires_at=until))


def test_the_embedded_worker_takes_back_what_a_killed_server_left_leased(orders, engine):
    # Issue 13: after `kill -9` of `flask serve`, its timers stayed leased under its
    # host:pid:serve name, and the restarted server fired them a lease (5 minutes) late.
    host = socket.gethostname()
    killed_server = orders.start("one_department")
    other_host = orders.start("one_department")
    dedicated_worker = orders.start("one_department")
    orders.clock.advance(timedelta(minutes=16))
    until = orders.clock.now() + timedelta(minutes=5)
    _lease(engine, killed_server, f"{host}:{os.getpid() + 1}:serve", until)
    _lease(engine, other_host, "elsewhere:4242:serve", until)
    _lease(engine, dedicated_worker, f"{host}:4242", until)  # `flask worker`: may be alive
    stop = threading.Event()

    def after_batch(fired: int) -> None:
        stop.set()

    # No time passes: the old lease has not run out.
    total = run_embedded_worker(engine, stop, interval_seconds=0, on_batch=after_batch)

    assert total == 3  # the stage limit and the ladder's warning and breach rungs
    assert [e.stage for e in orders.events(killed_server, "stage_overdue")] == ["dispatch"]
    assert {e.actor for e in orders.events(killed_server, "timer_fired")} == \
        {embedded_worker_id()}
    for untouched in (other_host, dedicated_worker):
        assert orders.events(untouched, "stage_overdue") == []
        assert {t.lease_expires_at for t in engine.reads.timers(untouched, "pending")} == \
            {until}


def test_flask_serve_runs_the_embedded_worker(make_app, monkeypatch):
    from api import process_engine

    app = make_app()
    started = []

    class Server:  # stands in for waitress: stops at once, as on Ctrl-C
        def run(self):
            raise KeyboardInterrupt

        def close(self):
            pass

    monkeypatch.setattr("api.cli.run_embedded_worker",
                        lambda engine, stop, **kwargs: started.append(engine))
    monkeypatch.setattr("waitress.server.create_server", lambda application, **kw: Server())
    monkeypatch.setattr("api.cli.signal.signal", lambda *args: None)
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    assert started == [process_engine(app)]
