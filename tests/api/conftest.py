from __future__ import annotations

import atexit
import functools
import io
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from api import create_app, prepare_database, process_engine
from api.auth import ApiToken, create_token
from api.extensions import db
from engine import SimulatedClock
from engine.store.models import DecisionDefinition, ProcessDefinition
from tests.conftest import GENERIC_COPIES, ROOT, generic_copy
from tests.databases import empty_all_tables
from tests.orders import FORM_DATA, SUBMISSION

# A complaint as an integrator submits it: routed to one_department (network_operations).
ORDER = {
    "customer_phone": "13912345678",
    "category": "network/no_signal/base_station",
    "content": "No signal at home since Monday.",
    "channel": "hotline",
    "acceptance_department": "front_desk",
    "key_fields": {"location": "Xihu district, Hangzhou", "occurred_at": "2026-03-01"},
}

# The copy of one_department the generic engine API's tests start (the `generic` fixture
# deploys it; tests/conftest.py generic_copy).
GENERIC = GENERIC_COPIES["one_department"]

# name -> (role, department)
PRINCIPALS = {
    "front_desk": ("department", "front_desk"),
    "network_ops": ("department", "network_ops"),
    "support_group": ("department", "support_group"),
    "billing": ("department", "billing"),
    "crm": ("integrator", None),
    "hotline": ("integrator", None),
    "designer": ("designer", None),
    "manager": ("manager", None),
    "admin": ("admin", None),
}


@dataclass
class Client:
    """The Flask test client with a bearer token per principal."""

    flask_client: Any
    tokens: dict[str, str]

    def of_its_own(self) -> Client:
        """Another client of the same app and tokens, for one racing thread."""
        return Client(self.flask_client.application.test_client(), self.tokens)

    def call(self, method: str, path: str, as_: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}) or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        return self.flask_client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, as_=None, **kwargs):
        return self.call("GET", path, as_, **kwargs)

    def post(self, path, as_=None, **kwargs):
        return self.call("POST", path, as_, **kwargs)

    def start(self, business_key: str, flow: str = GENERIC, as_: str = "crm",
              **variables):
        """POST /process-definitions/`flow`/start (a flow that is no work order's: see
        the `generic` fixture) with SUBMISSION, changed by `variables`."""
        response = self.post(f"/api/v1/process-definitions/{flow}/start", as_,
                             json={"business_key": business_key,
                                   "variables": {**SUBMISSION, **variables}})
        assert response.status_code == 201, response.json
        return response.json

    def submit(self, as_: str = "crm", expect: int = 201, headers=None, **fields):
        """POST /work-orders with a valid complaint (ORDER), changed by `fields`."""
        body = {k: v for k, v in {**ORDER, **fields}.items() if v is not None}
        response = self.post("/api/v1/work-orders", as_, json=body, headers=headers)
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    def order(self, number: str, as_: str = "manager"):
        response = self.get(f"/api/v1/work-orders/{number}", as_)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def inbox(self, as_: str, **query):
        response = self.get("/api/v1/tasks", as_, query_string=query)
        assert response.status_code == 200, response.json
        return response.json


# Steps the API tests share.
TO_NETWORK = {"processing_department": "network_operations"}


def work(client, number: str, department: str, data: dict | None = None,
         stage: str | None = None) -> dict:
    """`department` completes its open stage of the order with `data` (or FORM_DATA)."""
    [task] = client.inbox(department, business_key=number)["items"]
    if stage is not None:
        assert task["stage"] == stage
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", department,
                           json={"data": data or FORM_DATA[task["form"]]})
    assert response.status_code == 200, response.json
    return task


def visit_back(client, number: str, department: str = "front_desk") -> bool:
    """Complete the order's return visit (reached, solved, satisfied: it closes) if the
    return-visit table opened one (a repeat or upgraded order, a sampled one...)."""
    items = client.inbox(department, business_key=number)["items"]
    visits = [task for task in items if task["stage"] == "return_visit"]
    if not visits:
        return False
    [task] = visits
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", department,
                           json={"data": FORM_DATA["return_visit.json"]})
    assert response.status_code == 200, response.json
    return True


_PHONES = itertools.count(1)


def another_phone() -> str:
    """A customer number no other order of the test used (no repeat complaint)."""
    return f"1370000{next(_PHONES):04d}"


def act(client, number: str, department: str, operation: str, expect: int = 200, **body):
    response = client.post(f"/api/v1/work-orders/{number}/{operation}", department, json=body)
    assert response.status_code == expect, response.json
    return response.json


def notifications(client, who: str, **query) -> list[dict]:
    response = client.get("/api/v1/notifications", who, query_string=query)
    assert response.status_code == 200, response.json
    return response.json["items"]


def events(detail: dict, kind: str) -> list[dict]:
    return [e for e in detail["timeline"] if e["type"] == kind]


def deploy(client, files: dict[str, bytes], as_: str = "designer", dry_run: bool = False):
    return client.post(
        "/api/v1/deployments" + ("?dry_run=true" if dry_run else ""), as_,
        data={"files": [(io.BytesIO(content), name) for name, content in files.items()]},
        content_type="multipart/form-data")


def deploy_generic(client, *flows: str) -> list[str]:
    """Deploy, as the designer, the generic copies of the shipped `flows` (one_department
    if none is named); returns their keys."""
    flows = flows or ("one_department",)
    files = {name: content for flow in flows for name, content in generic_copy(flow).items()}
    response = deploy(client, files)
    assert response.status_code == 201, response.get_json()
    return [GENERIC_COPIES[flow] for flow in flows]


def deploy_generic_over_http(base: str, designer_token: str, *flows: str) -> list[str]:
    """deploy_generic on a running server at `base`, with a designer's token."""
    import requests

    flows = flows or ("one_department",)
    files = [("files", (name, content)) for flow in flows
             for name, content in generic_copy(flow).items()]
    response = requests.post(f"{base}/api/v1/deployments", files=files, timeout=30,
                             headers={"Authorization": f"Bearer {designer_token}"})
    assert response.status_code == 201, response.text
    return [GENERIC_COPIES[flow] for flow in flows]


@functools.cache
def test_data_dir() -> str:
    """data/ as deployed, its directory joined by the departments tests/orders.py uses
    (tests/fixtures/departments.json)."""
    folder = Path(tempfile.mkdtemp(prefix="workorders-data-"))
    atexit.register(shutil.rmtree, folder, True)
    for path in (ROOT / "data").iterdir():
        shutil.copy(path, folder)
    directory = json.loads((ROOT / "data" / "departments.json").read_text(encoding="utf-8"))
    extra = json.loads((ROOT / "tests" / "fixtures" / "departments.json").read_text(
        encoding="utf-8"))
    directory["departments"] += extra["departments"]
    (folder / "departments.json").write_text(json.dumps(directory), encoding="utf-8")
    return str(folder)


def test_departments() -> list[str]:
    directory = json.loads((Path(test_data_dir()) / "departments.json").read_text("utf-8"))
    return [department["id"] for department in directory["departments"]]


def build_app(database_url: str, clock):
    """The app on `database_url`, migrated and deployed, with a token per principal."""
    sqlite_file = database_url.removeprefix("sqlite:///")
    if sqlite_file != database_url and not Path(sqlite_file).exists():
        # A new SQLite database starts as a copy of one migrated and deployed once.
        template, tokens = _sqlite_template()
        shutil.copy(template, sqlite_file)
        app = _create(database_url, clock)
        prepare_database(app, upgrade=True)
        return app, dict(tokens)
    app = _create(database_url, clock)
    if database_url.startswith("postgresql"):
        empty = _is_empty(app)
        if empty and _POSTGRES_SNAPSHOT:
            # An emptied PostgreSQL database gets the rows deploying and token-making
            # wrote the first time, instead of doing it all again.
            _restore(app, _POSTGRES_SNAPSHOT)
            prepare_database(app, upgrade=True)
            return app, dict(_POSTGRES_SNAPSHOT["tokens"])
        prepare_database(app, upgrade=True)
        tokens = _create_tokens(app, clock)
        if empty:
            _POSTGRES_SNAPSHOT.update(_rows(app), tokens=tokens)
        return app, tokens
    prepare_database(app, upgrade=True)
    return app, _create_tokens(app, clock)


# What a build writes to an empty PostgreSQL database: the deployed definitions and the
# tokens (rows by table name), and the tokens themselves.
_POSTGRES_SNAPSHOT: dict[str, Any] = {}
_SNAPSHOT_MODELS = (ProcessDefinition, DecisionDefinition, ApiToken)


def _is_empty(app) -> bool:
    with process_engine(app).reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def _rows(app) -> dict[str, list[dict]]:
    with process_engine(app).reading() as session:
        return {model.__tablename__: [
            {column.key: getattr(row, column.key) for column in model.__mapper__.column_attrs}
            for row in session.scalars(select(model))] for model in _SNAPSHOT_MODELS}


def _restore(app, snapshot: dict[str, Any]) -> None:
    with process_engine(app).sessions() as session, session.begin():
        for model in _SNAPSHOT_MODELS:
            table = model.__tablename__
            session.execute(insert(model), snapshot[table])
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))"))


def _create(database_url: str, clock):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CLOCK": clock,
                       "TESTING": True, "DATA_DIR": test_data_dir(),
                       "ATTACHMENTS_DIR": _attachments_dir()})


@functools.cache
def _attachments_dir() -> str:
    """Where the API tests' uploads go (not the project's instance folder)."""
    folder = tempfile.mkdtemp(prefix="workorders-attachments-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _create_tokens(app, clock) -> dict[str, str]:
    engine = process_engine(app)
    tokens = {}
    principals = {**{d: ("department", d) for d in test_departments()}, **PRINCIPALS}
    with engine.sessions() as session, session.begin():
        for name, (role, department) in principals.items():
            tokens[name] = create_token(session, name=name, role=role, department=department,
                                        now=clock.now())
    return tokens


@functools.cache
def _sqlite_template() -> tuple[str, dict[str, str]]:
    folder = tempfile.mkdtemp(prefix="workorders-template-")
    atexit.register(shutil.rmtree, folder, True)
    path = str(Path(folder) / "template.sqlite3")
    clock = SimulatedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    app = _create(f"sqlite:///{path}", clock)
    prepare_database(app, upgrade=True)
    tokens = _create_tokens(app, clock)
    dispose(app)
    return path, tokens


@pytest.fixture
def api_clock() -> SimulatedClock:
    return SimulatedClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


def dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def app_and_tokens(database_url, api_clock):
    app, tokens = build_app(database_url, api_clock)
    yield app, tokens
    dispose(app)


@pytest.fixture
def app(app_and_tokens):
    return app_and_tokens[0]


@pytest.fixture
def client(app_and_tokens) -> Client:
    app, tokens = app_and_tokens
    return Client(app.test_client(), tokens)


@pytest.fixture
def generic(client) -> str:
    """GENERIC deployed: a copy of one_department that no routing rule names, for the
    tests of the generic engine API (starting a work-order flow there is refused)."""
    [key] = deploy_generic(client)
    return key


@pytest.fixture
def engine(app):
    return process_engine(app)


TOKEN_LINE = re.compile(r"^\s+(\w+)\s+(\S+)\s+(wo_\S+)$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, migrated_postgres):
    """The README's main command (`flask serve`) on a loopback port and its own database.

    Yields (base URL, {principal name: token} from its first-run output, process)."""
    port = free_port()
    if migrated_postgres:
        empty_all_tables(migrated_postgres)
        database_url = migrated_postgres
    else:
        database_url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url, "AUTO_MIGRATE": "1",
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    tokens, seen = {}, []
    try:
        for line in process.stdout:
            seen.append(line)
            if match := TOKEN_LINE.match(line.rstrip("\n")):
                tokens[match.group(2)] = match.group(3)
            if line.startswith("serving http"):
                break
        assert tokens, "".join(seen)
        yield f"http://127.0.0.1:{port}", tokens, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
