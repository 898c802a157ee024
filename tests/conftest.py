from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine import ProcessEngine, SimulatedClock, create_schema, make_engine, make_session_factory
from tests.databases import (
    ON_POSTGRES,
    TEST_DATABASE_URL,
    WORKER,
    create_extra_database,
    create_worker_database,
    drop_database,
    empty_all_tables,
    migrate,
)
from tests.orders import OrderDriver

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

# The shipped work-order flows and the keys of their generic copies (generic_copy).
GENERIC_COPIES = {"one_department": "generic_one", "two_department_relay": "generic_relay",
                  "single_dispatch": "generic_single"}


def generic_copy(flow: str = "one_department") -> dict[str, bytes]:
    """processes/`flow`.bpmn as a flow that is no work order's, as a designer would copy
    it to try it out: the same stages, lanes, forms, limits and start form, with its
    process id (and the ids made from it) and its file stem GENERIC_COPIES[flow]. The
    routing table names no such flow, so the generic engine API (start by key, messages)
    may start and reach it: what the tests of that API start, as {file name: content}
    for a deployment. Work orders themselves start through intake."""
    key = GENERIC_COPIES[flow]
    shipped = (PROCESSES / f"{flow}.bpmn").read_bytes()
    return {f"{key}.bpmn": shipped.replace(flow.encode(), key.encode())}


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0)


@pytest.fixture(scope="session")
def migrated_postgres():
    if not ON_POSTGRES:
        yield None
        return
    if WORKER:
        create_worker_database()
    migrate(TEST_DATABASE_URL)
    yield TEST_DATABASE_URL
    if WORKER:
        drop_database(TEST_DATABASE_URL)


@pytest.fixture
def database_url(tmp_path: Path, migrated_postgres: str | None) -> str:
    """This test's own empty database."""
    if migrated_postgres:
        empty_all_tables(migrated_postgres)
        return migrated_postgres
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def make_process_engine(database_url: str, clock: SimulatedClock):
    """Builds engines on the test database, as a fresh process would (new cache, new pool)."""
    created = []

    def build() -> ProcessEngine:
        db = make_engine(database_url)
        create_schema(db)
        created.append(db)
        return ProcessEngine(make_session_factory(db), clock)

    yield build
    for db in created:
        db.dispose()


@pytest.fixture
def engine(make_process_engine) -> ProcessEngine:
    process_engine = make_process_engine()
    process_engine.deployer.deploy_directory(PROCESSES, FORMS)
    return process_engine


@pytest.fixture
def orders(engine: ProcessEngine, clock: SimulatedClock) -> OrderDriver:
    return OrderDriver(engine, clock)


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory):
    """A database for a module-scoped app or history, apart from the per-test one."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path_factory.mktemp('module') / 'module.sqlite3'}"
        return
    url = create_extra_database()
    yield url
    drop_database(url)
