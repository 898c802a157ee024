"""The event feed under concurrent writers: an outbox id is taken before its
transaction commits, so ids can become visible out of order on PostgreSQL. The feed
pages by a position given in commit order and must never skip an event."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine.integrations.positions import position_events
from engine.store.models import OutboxEvent
from engine.workorders.models import WorkOrder
from tests.databases import ON_POSTGRES

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="SQLite writers are serial (BEGIN IMMEDIATE): ids commit in "
    "order there; the interleaving only exists on PostgreSQL")


def instance_of(engine, number: str) -> str:
    with engine.reading() as session:
        return session.scalars(select(WorkOrder.instance_id)
                               .where(WorkOrder.number == number)).one()


def feed(client, after: int) -> dict:
    response = client.get("/api/v1/events", "manager",
                          query_string={"after": after, "limit": 500})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def write_event(session, instance_id: str, now, note: str) -> int:
    event = OutboxEvent(instance_id=instance_id, type="urged", created_at=now,
                        payload={"note": note})
    session.add(event)
    session.flush()  # the id is taken now; the commit comes later
    return event.id


def test_a_reader_polling_between_two_interleaved_writers_misses_nothing(client, app):
    engine = app.extensions["integrations"].engine
    first, second = client.submit()["number"], client.submit()["number"]
    page = feed(client, 0)
    seen = [item["event_id"] for item in page["items"]]
    cursor = page["next_after"]

    slow = engine.transaction()  # takes its id first, commits last
    slow_session = slow.__enter__()
    slow_id = write_event(slow_session, instance_of(engine, first), engine.clock.now(), "slow")
    with engine.transaction() as session:
        fast_id = write_event(session, instance_of(engine, second), engine.clock.now(), "fast")
    assert slow_id < fast_id

    # The reader polls while the slow writer is still open: it sees the fast event...
    page = feed(client, cursor)
    assert [item["event_id"] for item in page["items"]] == [fast_id]
    seen += [item["event_id"] for item in page["items"]]
    cursor = page["next_after"]
    # ...and, once the slow one commits, the slow event after it (an id cursor would
    # have stood past it for good).
    slow.__exit__(None, None, None)
    page = feed(client, cursor)
    assert [(item["event_id"], item["data"]["note"]) for item in page["items"]] == [
        (slow_id, "slow")]
    seen += [item["event_id"] for item in page["items"]]
    assert page["items"][0]["position"] > cursor

    with engine.reading() as session:
        everything = session.scalars(select(OutboxEvent.id)).all()
    assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


def test_positions_are_given_one_positioner_at_a_time_in_commit_order(client, app):
    engine = app.extensions["integrations"].engine
    number = client.submit()["number"]
    instance_id = instance_of(engine, number)
    feed(client, 0)  # position what intake wrote

    holder = engine.transaction()
    holder_session = holder.__enter__()
    assert position_events(holder_session, 100) == 0  # nothing new; it holds the lock
    with engine.transaction() as session:
        write_event(session, instance_id, engine.clock.now(), "committed meanwhile")

    done = threading.Event()
    positioned: list[int] = []

    def other_positioner() -> None:
        with engine.transaction() as session:
            positioned.append(position_events(session, 100))
        done.set()

    thread = threading.Thread(target=other_positioner)
    thread.start()
    assert not done.wait(0.5), "a second positioner ran while the first held the lock"
    holder.__exit__(None, None, None)
    thread.join(10)
    assert done.is_set() and positioned == [1]  # the new event, after the holder commits
    with engine.reading() as session:
        rows = session.execute(select(OutboxEvent.id, OutboxEvent.feed_position)
                               .order_by(OutboxEvent.feed_position)).all()
    positions = [position for _, position in rows]
    assert None not in positions and positions == list(range(1, len(rows) + 1))
