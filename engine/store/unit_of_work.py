"""The unit of work: one session, one transaction, all of it lands or none does.

Every state change opens exactly one `transaction()`; everything the change writes
(instance state, task and timer rows, timeline, outbox, a work order) goes through the
session it yields. Reads that change nothing use `reading()`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Busy, InstanceChanged
from engine.store.shared_reads import SharedReads, reading, share_reads, shared_for
from engine.store.sqlite_writers import WriterQueueTimeout

# PostgreSQL: serialization failure, deadlock detected, lock not available.
_CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}


class UnitsOfWork:
    """Opens units of work (and read-only sessions) on one database."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.sessions = session_factory

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits at the end or not at all; a lost race is a
        Conflict (InstanceChanged, Busy), never a silent overwrite."""
        shared = shared_for(self.sessions)
        if shared is not None:  # what this request reads after the write sees it
            shared.end_snapshot()
        try:
            with self.sessions() as session:
                try:
                    with session.begin():
                        yield session
                except StaleDataError as err:
                    raise InstanceChanged(str(err)) from None
                except WriterQueueTimeout as err:
                    raise Busy(str(err)) from None
                except OperationalError as err:
                    if not is_lock_contention(err):
                        raise
                    raise Busy(str(err.orig).splitlines()[0]) from None
        finally:
            if shared is not None:  # and a read made while this one wrote, too
                shared.end_snapshot()

    def reading(self):
        """A read-only session (on SQLite it does not wait for writers); within
        `share_reads`, the request's one read session."""
        return reading(self.sessions)

    def share_reads(self) -> SharedReads:
        """Reads share one session until `stop_sharing_reads` (one per request)."""
        return share_reads(self.sessions)


def is_lock_contention(err: OperationalError) -> bool:
    sqlstate = getattr(err.orig, "sqlstate", None)
    return sqlstate in _CONTENTION_SQLSTATES or "database is locked" in str(err.orig)
