"""Feed positions: the order in which outbox events are published.

An outbox id is taken when its row is inserted, before its transaction commits, so on
PostgreSQL a reader can see id N+2 while N+1 is still uncommitted, move past it, and
never see it. Positions are given instead by one positioner at a time (a transaction
lock on PostgreSQL; SQLite writers are serial anyway, BEGIN IMMEDIATE), only to events
already committed, and the lock is held until the positions commit: a position is
visible only after every smaller one is. Readers page by position."""
from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine.store.models import OutboxEvent

# pg_advisory_xact_lock key of the positioner ("feedpos" in ASCII, any constant will do).
_LOCK_KEY = 0x66656564706F73


def unpositioned(session: Session) -> bool:
    return session.scalar(select(OutboxEvent.id).where(OutboxEvent.feed_position.is_(None))
                          .limit(1)) is not None


def position_events(session: Session, limit: int) -> int:
    """Give the next positions to up to `limit` committed, unpositioned events (oldest id
    first); returns how many. Commit soon after: others wait for the lock till then."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    # Read after the lock: under READ COMMITTED this statement sees every event
    # committed before it, including what the previous lock holder positioned.
    last = session.scalar(select(func.max(OutboxEvent.feed_position))) or 0
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.feed_position.is_(None))
                             .order_by(OutboxEvent.id).limit(limit)).all()
    for offset, event in enumerate(events, start=1):
        event.feed_position = last + offset
    session.flush()
    return len(events)
