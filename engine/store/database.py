"""Database connections: SQLite (WAL) by default, PostgreSQL in production."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from engine.store.models import Base
from engine.store.shared_reads import READ_ONLY
from engine.store.sqlite_writers import WriterQueue, writer_queue


def default_sqlite_url(instance_dir: Path) -> str:
    instance_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(instance_dir / 'workorders.sqlite3').resolve()}"


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// and postgresql:// spellings; drive them with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_options(url: str) -> dict[str, Any]:
    """create_engine arguments for `url`, whoever creates the engine (make_engine, or
    Flask-SQLAlchemy for the app through SQLALCHEMY_ENGINE_OPTIONS).

    `hide_parameters`: bound values (a customer's phone number, say) stay out of error
    messages and SQL logs. PostgreSQL connections are pinged when taken from the pool, so
    a restarted server or a dropped connection costs no request.
    """
    options: dict[str, Any] = {"hide_parameters": True}
    if normalize_database_url(url).startswith("sqlite"):
        options["connect_args"] = {"timeout": 30}
    else:
        options["pool_pre_ping"] = True
    return options


def make_engine(url: str, **kwargs) -> Engine:
    """An SQLAlchemy engine with the settings this application relies on."""
    url = normalize_database_url(url)
    engine = create_engine(url, **{**engine_options(url), **kwargs})
    if url.startswith("sqlite"):
        configure_sqlite(engine)
    return engine


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached right now (a connection
    dropped, or none could be opened, or none was free in time), so the same request
    may succeed later, rather than a fault in the request or the code.

    SQLAlchemy marks an error the dialect recognises as a disconnect (and has thrown
    the connection away, so the pool recovers on its own); a DBAPI error raised with no
    statement came from opening a connection.
    """
    if isinstance(error, exc.TimeoutError):  # the pool had no connection to give
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    return error.connection_invalidated or (
        isinstance(error, exc.OperationalError | exc.InterfaceError)
        and error.statement is None)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, and write transactions that take the lock up front, in turn.

    pysqlite starts transactions lazily, so two writers can both read and then
    deadlock on upgrade; BEGIN IMMEDIATE makes the second one wait instead, queued
    (sqlite_writers.py) rather than polling. Sessions opened with the READ_ONLY
    execution option begin DEFERRED: under WAL they read a consistent snapshot without
    queueing behind writers.
    """
    queue = _writer_queue(engine)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN DEFERRED")
            return
        if queue is None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        owner = queue.acquire()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.release(owner)
            raise
        connection.info[_QUEUED] = owner

    if queue is None:
        return

    # The turn is given up once the transaction has ended, not before: the COMMIT (or
    # ROLLBACK) is issued here, and pysqlite's own call after it finds nothing to end.
    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        _end(connection, "COMMIT")

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        _end(connection, "ROLLBACK")

    def _end(connection, statement: str) -> None:
        owner = connection.info.pop(_QUEUED, None)
        if owner is None:
            return
        try:
            raw = connection.connection.dbapi_connection
            if raw is not None and raw.in_transaction:
                raw.execute(statement)
        finally:
            queue.release(owner)

    # A connection given back or dropped mid-transaction (from whichever thread) still
    # gives up its turn.
    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None and (owner := record.info.pop(_QUEUED, None)) is not None:
            queue.release(owner)

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(_dbapi_connection, record, _exception):
        if record is not None and (owner := record.info.pop(_QUEUED, None)) is not None:
            queue.release(owner)


_QUEUED = "workorders_writer_queued"


def _writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue for a database file; none for an in-memory database."""
    database = engine.url.database
    if database in (None, "", ":memory:") or database.startswith("file:"):
        return None
    return writer_queue(Path(database))


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
