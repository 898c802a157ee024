"""Claiming and completing: conflicts are refused and change nothing."""
from __future__ import annotations

import pytest

from engine.errors import TaskClaimedByOther, TaskNotFound, TaskNotOpen
from tests.orders import FORM_DATA


@pytest.fixture
def dispatch(orders):
    instance_id = orders.start("one_department")
    return orders.open_task(instance_id)


def test_claim_then_complete_by_the_assignee(engine, orders, dispatch):
    claimed = engine.commands.claim_task(dispatch.id, "alice", department="front_desk")
    assert claimed.assignee == "alice"
    engine.commands.complete_task(dispatch.id, FORM_DATA["dispatch.json"], "alice",
                         department="front_desk")
    types = [e.type for e in orders.events(dispatch.instance_id)]
    assert types[types.index("claimed"):types.index("completed") + 1] == ["claimed", "completed"]


def test_someone_else_cannot_claim_or_complete_a_claimed_task(engine, dispatch):
    engine.commands.claim_task(dispatch.id, "alice")
    with pytest.raises(TaskClaimedByOther):
        engine.commands.claim_task(dispatch.id, "bob")
    with pytest.raises(TaskClaimedByOther):
        engine.commands.complete_task(dispatch.id, FORM_DATA["dispatch.json"], "bob")
    assert engine.reads.tasks(instance_id=dispatch.instance_id)[0].assignee == "alice"


def test_unclaim_returns_the_task_to_the_inbox(engine, dispatch):
    engine.commands.claim_task(dispatch.id, "alice")
    with pytest.raises(TaskClaimedByOther):
        engine.commands.unclaim_task(dispatch.id, "bob")
    engine.commands.unclaim_task(dispatch.id, "alice")
    engine.commands.claim_task(dispatch.id, "bob")
    assert engine.reads.tasks(instance_id=dispatch.instance_id)[0].assignee == "bob"


def test_a_task_completed_twice_is_a_conflict(engine, orders, dispatch):
    engine.commands.complete_task(dispatch.id, FORM_DATA["dispatch.json"], "alice")
    count = len(orders.events(dispatch.instance_id))
    with pytest.raises(TaskNotOpen, match="already completed"):
        engine.commands.complete_task(dispatch.id, FORM_DATA["dispatch.json"], "alice")
    with pytest.raises(TaskNotOpen):
        engine.commands.claim_task(dispatch.id, "alice")
    assert len(orders.events(dispatch.instance_id)) == count


def test_another_department_cannot_see_or_act_on_the_task(engine, dispatch):
    with pytest.raises(TaskNotFound):
        engine.commands.claim_task(dispatch.id, "mallory", department="billing")
    with pytest.raises(TaskNotFound):
        engine.commands.complete_task(dispatch.id, FORM_DATA["dispatch.json"], "mallory",
                             department="billing")
    assert engine.reads.tasks(instance_id=dispatch.instance_id)[0].state == "open"


def test_unknown_task(engine):
    with pytest.raises(TaskNotFound):
        engine.commands.complete_task("00000000-0000-0000-0000-000000000000", {}, "alice")

