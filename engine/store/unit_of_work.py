"""The unit of work: one session, one transaction, all of it lands or none does.

Every state change opens exactly one `transaction()`; everything the change writes
(instance state, task and timer rows, timeline, outbox, a work order) goes through the
session it yields. Reads that change nothing use `reading()`.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Busy, InstanceChanged
from engine.store.database import reading

# PostgreSQL: serialization failure, deadlock detected, lock not available.
_CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}


# SQLite lets one writer in at a time and makes the others poll, sleeping longer and
# longer between tries; writers of one process queue here instead, and each goes in the
# moment the one before has committed. One lock per database file.
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_GUARD = threading.Lock()


class UnitsOfWork:
    """Opens units of work (and read-only sessions) on one database."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.sessions = session_factory
        self._writer_turn = _writer_turn_for(session_factory)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits at the end or not at all; a lost race is a
        Conflict (InstanceChanged, Busy), never a silent overwrite."""
        with self._writer_turn(), self.sessions() as session:
            try:
                with session.begin():
                    yield session
            except StaleDataError as err:
                raise InstanceChanged(str(err)) from None
            except OperationalError as err:
                if not is_lock_contention(err):
                    raise
                raise Busy(str(err.orig).splitlines()[0]) from None

    def reading(self):
        """A read-only session (on SQLite it does not wait for writers)."""
        return reading(self.sessions)


def _writer_turn_for(session_factory: sessionmaker[Session]):
    """A context manager to hold while writing: this process's writers' lock on SQLite,
    nothing on a database with row locks."""
    bind = session_factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return nullcontext
    key = str(bind.url)
    with _SQLITE_WRITERS_GUARD:
        lock = _SQLITE_WRITERS.setdefault(key, threading.RLock())
    return lambda: _held(lock)


@contextmanager
def _held(lock: threading.RLock) -> Iterator[None]:
    # Not forever: a writer of another kind (a deploy, a token) still goes through
    # SQLite's own busy wait; past this, do the same rather than hang.
    acquired = lock.acquire(timeout=30)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def is_lock_contention(err: OperationalError) -> bool:
    sqlstate = getattr(err.orig, "sqlstate", None)
    return sqlstate in _CONTENTION_SQLSTATES or "database is locked" in str(err.orig)
