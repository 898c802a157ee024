"""Test databases: a SQLite file per test by default; PostgreSQL when TEST_DATABASE_URL
is set (migrated once per run, emptied between tests)."""
from __future__ import annotations

import itertools
import os

from sqlalchemy import make_url, text

from engine.store.database import make_engine, normalize_database_url

GIVEN_DATABASE_URL = normalize_database_url(os.environ.get("TEST_DATABASE_URL", ""))
ON_POSTGRES = GIVEN_DATABASE_URL.startswith("postgresql")
# Tests run in parallel (pytest-xdist): each worker has a database of its own next to
# the one given, named after it (test_db_gw0, ...), created at the start of its session.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
TEST_DATABASE_URL = (
    make_url(GIVEN_DATABASE_URL).set(
        database=f"{make_url(GIVEN_DATABASE_URL).database}_{WORKER}"
    ).render_as_string(hide_password=False)
    if ON_POSTGRES and WORKER else GIVEN_DATABASE_URL
)
_extra = itertools.count(1)


def migrate(url: str) -> None:
    """Bring `url` to the newest migration, the way operators do (flask db upgrade)."""
    from api import create_app, prepare_database
    from api.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    prepare_database(app, deploy=False, upgrade=True)
    with app.app_context():
        db.engine.dispose()


def empty_all_tables(url: str) -> None:
    """Delete every row (keeping the schema and its migration stamp)."""
    import api.auth  # noqa: F401  (its table belongs to the metadata too)
    from engine.store.models import Base

    engine = make_engine(url)
    try:
        names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


def create_worker_database() -> None:
    """This worker's own database, empty (dropped first if a crashed run left it)."""
    name = make_url(TEST_DATABASE_URL).database
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def create_extra_database(*, migrated: bool = True) -> str:
    """A new PostgreSQL database next to the test database (migrated unless asked not)."""
    url = make_url(TEST_DATABASE_URL)
    name = f"{url.database}_extra{next(_extra)}_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    extra = url.set(database=name).render_as_string(hide_password=False)
    if migrated:
        migrate(extra)
    return extra


def drop_database(url: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _admin(*statements: str) -> None:
    url = make_url(GIVEN_DATABASE_URL).set(database="postgres")
    engine = make_engine(url.render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()
