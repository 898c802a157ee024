"""Shared helpers for the benchmark: databases, servers, tokens, timing."""
from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import make_url, text

from api import create_app, prepare_database, process_engine
from api.auth import create_token
from api.extensions import db
from engine import SimulatedClock

# The engine internals the bench reaches into, all here (the engine's layout is being
# reorganised): the raw SpiffWorkflow driver needs the checked, parsed diagram and the
# engine's expression functions (scaled, department_time_left, count_events).
from engine.definitions.bpmn import parse_source
from engine.definitions.decisions import evaluate_decision, parse_decision
from engine.definitions.sources import collect_sources, files_in
from engine.runtime.flow_decisions import SAMPLE_DRAW, input_names
from engine.runtime.sandbox import DECISIONS, RestrictedScriptEngine
from engine.store.database import make_engine, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent
SUBMISSION = {
    "customer_phone": "13912345678",
    "category": "network/no_signal/base_station",
    "content": "No signal at home since Monday.",
    "channel": "hotline",
    "acceptance_department": "provincial_service_desk",
}
RELAY_DEPARTMENTS = {"Acceptance": "provincial_service_desk",
                     "Relaying": "service_support_group",
                     "Processing": "provincial_support_centre"}
FORM_DATA = {
    "dispatch_to_relay.json": {"relaying_department": RELAY_DEPARTMENTS["Relaying"]},
    "redispatch.json": {"processing_department": RELAY_DEPARTMENTS["Processing"]},
    "handle.json": {"action": "resolve", "result": "Base station restarted.",
                    "resolved": True},
    "return_result.json": {"return_summary": "Fixed."},
    "relay_handle.json": {"result": "Checked with the customer.", "resolved": True},
    "audit.json": {"approved": True},
    "feedback.json": {"customer_reached": True, "satisfaction": "satisfied",
                      "liable_department": RELAY_DEPARTMENTS["Processing"],
                      "liable_cause": "network_fault", "justified": True},
    "return_visit.json": {"visit_reached": True, "visit_resolved": True,
                          "visit_satisfaction": "satisfied"},
}
# A complaint the routing table sends to the two-department relay (intake, POST
# /work-orders): the TD network category and the key fields it requires.
RELAY_INTAKE = {**SUBMISSION, "category": "network/call_drop/td",
                "key_fields": {"location": "Binjiang", "network_generation": "td_scdma"}}
# What the service-level table gives a normal order (raw SpiffWorkflow has no start
# decision to ask).
SERVICE_LEVEL = {"limit_factor": 1, "max_reassignments": 3}


def script_engine() -> RestrictedScriptEngine:
    """The engine's restricted expression evaluator, which the diagrams' timers need;
    its decide() (the return-visit gateway) answers from the shipped tables."""
    DECISIONS.set(_in_memory_decisions())
    return RestrictedScriptEngine()


def _in_memory_decisions():
    """decide() for raw SpiffWorkflow: processes/' tables parsed once and evaluated in
    memory (the engine evaluates its cached copy the same way), absent inputs None and a
    sample draw that picks no sampled share, as for most orders."""
    sources = collect_sources(files_in(ROOT / "processes", ROOT / "forms")).decisions
    tables = {source.key: parse_decision(source) for source in sources}

    def evaluate(key: str, data: dict[str, Any]) -> dict[str, Any]:
        decision = tables[key]
        inputs: dict[str, Any] = dict.fromkeys(input_names(decision))
        inputs.update(data)
        inputs[SAMPLE_DRAW] = 99
        return evaluate_decision(decision, inputs)

    return evaluate


def parsed_process(key: str):
    """processes/<key>.bpmn checked and parsed as a deployment would (its spec)."""
    sources = collect_sources(files_in(ROOT / "processes", ROOT / "forms")).processes
    [source] = [s for s in sources if s.key == key]
    return parse_source(source)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def median_ms(action: Callable[[], object], *, repeats: int, digits: int = 3,
              clock: Callable[[], float] = time.perf_counter) -> float:
    """Median milliseconds `action` takes over `repeats` runs after one warm-up run (for
    caches and first connections), by `clock`: wall time unless told (CPU:
    time.process_time)."""
    action()
    samples = []
    for _ in range(repeats):
        started = clock()
        action()
        samples.append(clock() - started)
    return round(median(samples) * 1000, digits)


@contextmanager
def database(kind: str, postgres_url: str | None) -> Iterator[str]:
    """A fresh, migrated database of `kind` (sqlite|postgresql), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="workorders-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            migrate(url)
            yield url
        return
    base = make_url(normalize_database_url(postgres_url))
    name = f"workorders_bench_{os.getpid()}"
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    prepare_database(app, upgrade=True)
    with app.app_context():
        db.engine.dispose()


def make_tokens(url: str, principals: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    tokens = _create_tokens(app, principals)
    with app.app_context():
        db.engine.dispose()
    return tokens


def _create_tokens(app, principals: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    engine = process_engine(app)
    tokens = {}
    with engine.sessions() as session, session.begin():
        for name, (role, department) in principals.items():
            tokens[name] = create_token(session, name=name, role=role, department=department,
                                        now=engine.clock.now())
    return tokens


def simulated_clock() -> SimulatedClock:
    """A clock that moves only when told (no timer falls due while a bench step runs)."""
    return SimulatedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@dataclass
class InProcessApi:
    """The Flask app in this process, called through its test client: the whole
    request path (auth, validation, engine, JSON) without sockets or a second process."""

    app: Any
    tokens: dict[str, str]
    clock: SimulatedClock
    sql_engine: Any  # the app's SQLAlchemy Engine (Flask-SQLAlchemy's db.engine)

    def __post_init__(self) -> None:
        self.client = self.app.test_client()

    def call(self, method: str, path: str, who: str, **kwargs) -> dict:
        response = self.client.open(f"/api/v1{path}", method=method,
                                    headers={"Authorization": f"Bearer {self.tokens[who]}"},
                                    **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.get_json()

    def state_size(self, instance_id: str) -> int:
        """Length of the order's serialized workflow (process_instances.state)."""
        with self.sql_engine.connect() as connection:
            return connection.execute(text(
                "SELECT length(state) FROM process_instances WHERE id = :id"),
                {"id": instance_id}).scalar_one()

    def dispose(self) -> None:
        self.sql_engine.dispose()


def in_process_api(url: str, principals: dict[str, tuple[str, str | None]], *,
                   data_dir: Path | None = None,
                   processes_dir: Path | None = None) -> InProcessApi:
    """The app on a migrated database, `processes_dir` deployed, a token per principal."""
    clock = simulated_clock()
    config: dict[str, Any] = {"SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock}
    if data_dir is not None:
        config["DATA_DIR"] = str(data_dir)
    if processes_dir is not None:
        config["PROCESSES_DIR"] = str(processes_dir)
    app = create_app(config)
    prepare_database(app, upgrade=False)
    with app.app_context():
        sql_engine = db.engine
    return InProcessApi(app, _create_tokens(app, principals), clock, sql_engine)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, threads: int) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread",
         "--threads", str(threads), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def start_workers(url: str, count: int, batch_size: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", "--worker-id", f"bench-{n}",
             "--interval", "0.05", "--batch-size", str(batch_size)],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)
