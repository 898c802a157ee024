"""What a piece of work sends to the database: SQL statements, transactions and, on
PostgreSQL, the real round trips.

Statements are counted with SQLAlchemy's `before_cursor_execute` (transaction control
is counted apart: SQLite's BEGIN IMMEDIATE goes through the cursor, psycopg's BEGIN
does not). Transactions are the Connection `begin` events; the write ones end in a
commit, read-only sessions end in a rollback. Round trips are read from libpq's own
protocol trace (one ReadyForQuery per round trip), because on PostgreSQL BEGIN, COMMIT,
ROLLBACK and pool pre-pings are round trips that no statement event shows.

Listeners cost CPU, so counting runs are kept apart from timed runs.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from .common import median

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Counts:
    statements: int = 0
    transactions: int = 0  # Connection.begin, explicit or autobegin
    commits: int = 0
    rollbacks: int = 0
    checkouts: int = 0  # connections taken from the pool
    round_trips: int | None = None  # PostgreSQL only, from the libpq trace
    kinds: dict[str, int] = field(default_factory=dict)  # SELECT / INSERT / UPDATE ...

    def __add__(self, other: Counts) -> Counts:
        total = Counts(**{key: getattr(self, key) + getattr(other, key) for key in (
            "statements", "transactions", "commits", "rollbacks", "checkouts")})
        if self.round_trips is not None and other.round_trips is not None:
            total.round_trips = self.round_trips + other.round_trips
        for verb in {*self.kinds, *other.kinds}:
            total.kinds[verb] = self.kinds.get(verb, 0) + other.kinds.get(verb, 0)
        return total

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "kinds" and v is not None}
        return {**out, "by_kind": dict(sorted(self.kinds.items()))}


class SqlCounter:
    """Listens on one SQLAlchemy Engine until closed; `measure()` counts one block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.counts = Counts()
        self._traced: dict[int, tuple[Any, int, str]] = {}  # id -> (dbapi conn, fd, path)
        postgresql = engine.dialect.name == "postgresql"
        if postgresql:
            engine.dispose()  # a new pool: its connections are opened traced
        self._listeners = [
            (engine, "before_cursor_execute", self._on_statement),
            (engine, "begin", self._on_begin),
            (engine, "commit", self._on_commit),
            (engine, "rollback", self._on_rollback),
            (engine.pool, "checkout", self._on_checkout),
        ]
        if postgresql:
            self._listeners += [(engine.pool, "connect", self._on_connect),
                                (engine.pool, "close", self._on_close)]
        for target, name, fn in self._listeners:
            event.listen(target, name, fn)

    @contextmanager
    def measure(self):
        """Counts of the block, in the yielded Counts (filled in when the block ends)."""
        self._read_trace()  # drop what came before
        self.counts = Counts()
        result = Counts()
        yield result
        result.__dict__.update(self.counts.__dict__)
        if self._traced:
            result.round_trips = self._read_trace()
        elif self.engine.dialect.name == "postgresql":
            result.round_trips = 0

    def close(self) -> None:
        for target, name, fn in self._listeners:
            event.remove(target, name, fn)
        for connection, _fd, path in self._traced.values():
            connection.pgconn.untrace()
            os.unlink(path)
        self._traced.clear()
        self.engine.dispose()
        # The trace files' descriptors stay open: libpq's FILE streams on them are
        # never closed, and stdio flushes every stream at exit.

    # ------------------------------------------------------------ listeners

    def _on_statement(self, _conn, _cursor, statement, _params, _context, _many) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if verb in TRANSACTION_CONTROL:
            return
        self.counts.statements += 1
        self.counts.kinds[verb] = self.counts.kinds.get(verb, 0) + 1

    def _on_begin(self, _conn) -> None:
        self.counts.transactions += 1

    def _on_commit(self, _conn) -> None:
        self.counts.commits += 1

    def _on_rollback(self, _conn) -> None:
        self.counts.rollbacks += 1

    def _on_checkout(self, *_args) -> None:
        self.counts.checkouts += 1

    def _on_connect(self, dbapi_connection, _record) -> None:
        fd, path = tempfile.mkstemp(prefix="bench-pgtrace-")
        dbapi_connection.pgconn.trace(fd)
        self._traced[id(dbapi_connection)] = (dbapi_connection, fd, path)

    def _on_close(self, dbapi_connection, _record) -> None:
        traced = self._traced.pop(id(dbapi_connection), None)
        if traced is not None:
            dbapi_connection.pgconn.untrace()
            os.unlink(traced[2])

    def _read_trace(self) -> int:
        """Round trips traced since the last read. Untracing flushes libpq's buffer;
        every connection is idle in the pool here (the bench drives one request at a
        time), so it is traced again at once onto an emptied file."""
        trips = 0
        for connection, fd, path in self._traced.values():
            connection.pgconn.untrace()
            with open(path, encoding="utf-8", errors="replace") as trace:
                trips += sum(1 for line in trace if "\tReadyForQuery\t" in line)
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            connection.pgconn.trace(fd)
        return trips


def median_counts(items: list[Counts]) -> dict:
    """Field by field median of several counts (they differ little: same calls)."""
    dicts = [item.as_dict() for item in items]
    verbs = sorted({verb for d in dicts for verb in d["by_kind"]})
    out = {key: _whole(median([d[key] for d in dicts]))
           for key in dicts[0] if key != "by_kind"}
    out["by_kind"] = {v: _whole(median([d["by_kind"].get(v, 0) for d in dicts]))
                      for v in verbs}
    out["samples"] = len(items)
    return out


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 1)
