"""Schema migrations: they build the models' schema, and the app will not run on an
older one."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import api.auth  # noqa: F401  (its table is part of the schema)
from engine.store.database import make_engine
from engine.store.models import Base
from tests.conftest import ROOT
from tests.databases import ON_POSTGRES, create_extra_database, drop_database, migrate


@pytest.fixture
def empty_database_url(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = create_extra_database(migrated=False)
    yield url
    drop_database(url)


EXPRESSION_INDEXES = {"ix_human_tasks_inbox"}


def test_migrations_build_exactly_the_models_schema(empty_database_url):
    migrate(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            if engine.dialect.name != "sqlite":
                assert compare_metadata(context, Base.metadata) == []
                return
            # SQLite cannot reflect expression indexes: compare the rest, and read
            # those indexes' definitions from sqlite_master.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Skipped unsupported reflection")
                warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified")
                diff = compare_metadata(context, Base.metadata)
            assert [d for d in diff
                    if not (d[0] == "add_index" and d[1].name in EXPRESSION_INDEXES)] == []
            inbox_sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_human_tasks_inbox'").scalar()
            assert "(due_at IS NULL)" in inbox_sql
    finally:
        engine.dispose()


def _run(args, database_url, **env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": database_url, **env},
    )


def test_the_app_refuses_an_out_of_date_schema_and_says_what_to_run(empty_database_url):
    refused = _run(["-c", "import wsgi"], empty_database_url)
    assert refused.returncode != 0
    assert "Run `flask db upgrade`" in refused.stderr
    assert "none (empty database)" in refused.stderr

    cli = _run(["-m", "flask", "worker"], empty_database_url)
    assert cli.returncode != 0 and "flask db upgrade" in cli.stderr

    upgraded = _run(["-m", "flask", "db", "upgrade"], empty_database_url)
    assert upgraded.returncode == 0, upgraded.stderr
    started = _run(["-c", "import wsgi; print(sorted(wsgi.app.blueprints))"],
                   empty_database_url)
    assert started.returncode == 0, started.stderr
    assert "tasks" in started.stdout


def test_auto_migrate_lets_the_app_upgrade_itself(empty_database_url):
    started = _run(["-c", "import wsgi"], empty_database_url, AUTO_MIGRATE="1")
    assert started.returncode == 0, started.stderr


@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent DDL races show on PostgreSQL")
def test_several_processes_upgrading_an_empty_database_at_once(empty_database_url):
    env = {**os.environ, "DATABASE_URL": empty_database_url, "AUTO_MIGRATE": "1"}
    starts = [subprocess.Popen([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
    for start in starts:
        _out, err = start.communicate(timeout=120)
        assert start.returncode == 0, err[-2000:]
