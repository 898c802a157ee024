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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import make_url, text

from api import create_app, prepare_database, process_engine
from api.auth import create_token
from api.extensions import db
from engine.database import make_engine, normalize_database_url

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
    "feedback.json": {"customer_reached": True, "satisfaction": "satisfied"},
}
# What the service-level table gives a normal order (raw SpiffWorkflow has no start
# decision to ask).
SERVICE_LEVEL = {"limit_factor": 1, "max_reassignments": 3}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


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
    engine = process_engine(app)
    tokens = {}
    with engine.sessions() as session, session.begin():
        for name, (role, department) in principals.items():
            tokens[name] = create_token(session, name=name, role=role, department=department,
                                        now=engine.clock.now())
    with app.app_context():
        db.engine.dispose()
    return tokens


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
