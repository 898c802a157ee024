"""One read transaction for the reads of one request.

A request used to open a session, a connection and a transaction for every read: the
caller's token, the refund-audit check and the form check of one completion were three
of each, before the write. Inside `SharedReads`, `reading()` hands out one session instead,
opened on first use. Between uses its objects are detached, exactly as when a session
closed (nothing read can be flushed through it), and a write on the same database ends
its transaction first, so what is read after a write sees it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

# Execution option marking a session that only reads (see database.configure_sqlite).
READ_ONLY = "workorders_read_only"


@dataclass
class SharedReads:
    """The read session of one request on one database (see `share_reads`)."""

    factory: sessionmaker[Session]
    session: Session | None = None
    depth: int = 0  # reading() blocks open on it now

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def end_snapshot(self) -> None:
        """End the read transaction (a write is about to begin); the next read starts a
        new one. Not while a reading() block is open: that block keeps its view."""
        if self.session is not None and self.depth == 0:
            self.session.rollback()


_CURRENT: ContextVar[SharedReads | None] = ContextVar("workorders_shared_reads",
                                                      default=None)


def share_reads(session_factory: sessionmaker[Session]) -> SharedReads:
    """From now on in this context, reads on `session_factory` share one session; the
    caller ends it with `stop_sharing_reads`."""
    shared = SharedReads(session_factory)
    _CURRENT.set(shared)
    return shared


def stop_sharing_reads() -> None:
    shared = _CURRENT.get()
    _CURRENT.set(None)
    if shared is not None:
        shared.close()


def shared_for(session_factory: sessionmaker[Session]) -> SharedReads | None:
    shared = _CURRENT.get()
    return shared if shared is not None and shared.factory is session_factory else None


@contextmanager
def reading(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for queries only; on SQLite it does not take the write lock."""
    shared = shared_for(session_factory)
    if shared is None:
        with session_factory() as session:
            session.connection(execution_options={READ_ONLY: True})
            yield session
        return
    if shared.session is None:
        shared.session = session_factory()
    if not shared.session.in_transaction():
        shared.session.connection(execution_options={READ_ONLY: True})
    shared.depth += 1
    try:
        yield shared.session
    finally:
        shared.depth -= 1
        if shared.depth == 0:
            shared.session.expunge_all()
