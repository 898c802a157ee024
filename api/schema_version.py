"""Is the database schema at the revision this code expects? (Alembic, via Flask-Migrate)"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask_migrate import upgrade as upgrade_to_head
from sqlalchemy import Engine, text

# Any constant both sides agree on: the PostgreSQL advisory lock held while upgrading.
_MIGRATION_LOCK_ID = 0x776F726B  # "work"


class SchemaOutOfDate(RuntimeError):
    pass


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One upgrader at a time on PostgreSQL; the others wait, then find nothing to do
    (alembic re-reads the revision once it runs). SQLite serializes DDL by itself."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"),
                               {"id": _MIGRATION_LOCK_ID})
            connection.commit()


def ensure_schema_current(engine: Engine, *, upgrade: bool) -> None:
    """Upgrade to head when allowed; otherwise refuse with the command to run.

    Needs an app context (Flask-Migrate reads its configuration from the app)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return
    if upgrade:
        with _migration_lock(engine):  # several processes may start at once
            upgrade_to_head(directory=config.get_main_option("script_location"))
        return
    raise SchemaOutOfDate(
        f"The database schema is at revision {current or 'none (empty database)'}, "
        f"this version of the application needs {head}. Run `flask db upgrade` "
        f"(with the same DATABASE_URL) and start again."
    )
