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
