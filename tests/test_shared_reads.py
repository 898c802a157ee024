"""The reads of one request share one session (engine/store/shared_reads.py): one
connection and transaction for all of them, objects detached between reads as a closed
session left them, and a write in between seen by every read after it."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, inspect, select

from engine.store.models import ProcessDefinition
from engine.store.shared_reads import stop_sharing_reads


def _definition(version: int) -> ProcessDefinition:
    return ProcessDefinition(key="shared_reads", version=version, name="Shared reads",
                             content_hash=f"c{version}", file_name="shared_reads.bpmn",
                             deployed_at=datetime(2026, 3, 2, tzinfo=UTC),
                             bpmn_xml="<definitions/>", forms={}, serialized_spec="{}")


@pytest.fixture()
def uow(make_process_engine):
    uow = make_process_engine().uow
    yield uow
    stop_sharing_reads()


def _count_checkouts(uow) -> list[int]:
    checkouts = [0]
    event.listen(uow.sessions.kw["bind"], "checkout",
                 lambda *_: checkouts.__setitem__(0, checkouts[0] + 1))
    return checkouts


def test_reads_of_a_request_take_one_connection(uow):
    checkouts = _count_checkouts(uow)
    uow.share_reads()
    for _ in range(3):
        with uow.reading() as session:
            session.scalars(select(ProcessDefinition)).all()
    assert checkouts[0] == 1
    stop_sharing_reads()
    with uow.reading() as session:  # outside a request: a session per read, as before
        session.scalars(select(ProcessDefinition)).all()
    assert checkouts[0] == 2


def test_a_write_between_reads_is_seen_by_the_reads_after_it(uow):
    uow.share_reads()
    with uow.reading() as session:
        assert session.scalars(select(ProcessDefinition)).all() == []
    with uow.transaction() as session:
        session.add(_definition(1))
    with uow.reading() as session:
        assert [row.version for row in session.scalars(select(ProcessDefinition))] == [1]


def test_a_read_made_while_a_write_was_open_does_not_hide_it_afterwards(uow):
    uow.share_reads()
    with uow.transaction() as session:
        session.add(_definition(1))
        with uow.reading() as reader:  # began before the write committed
            assert reader.scalars(select(ProcessDefinition)).all() == []
    with uow.reading() as session:
        assert [row.version for row in session.scalars(select(ProcessDefinition))] == [1]


def test_objects_read_are_detached_once_the_read_ends(uow):
    with uow.transaction() as session:
        session.add(_definition(1))
    uow.share_reads()
    with uow.reading() as session:
        row = session.scalars(select(ProcessDefinition)).one()
    row.name = "changed by the caller"  # never flushed through the shared session
    with uow.reading() as session:
        again = session.scalars(select(ProcessDefinition)).one()
        assert again is not row and again.name == "Shared reads"
    assert inspect(row).detached
