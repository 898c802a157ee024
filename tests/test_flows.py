"""Each flow runs start to end, each stage in its lane with its form."""
from __future__ import annotations

import pytest

from tests.consistency import assert_consistent
from tests.orders import DEPARTMENT_OF_LANE, FLOW_STAGES


@pytest.mark.parametrize("flow", sorted(FLOW_STAGES))
def test_flow_runs_start_to_end_with_each_stage_in_its_lane(flow, orders, engine):
    instance_id = orders.start(flow)
    seen = []
    for stage, lane, form, limit in FLOW_STAGES[flow]:
        task = orders.open_task(instance_id)
        seen.append(task.stage)
        assert (task.stage, task.lane, task.form) == (stage, lane, form)
        assert task.department == DEPARTMENT_OF_LANE[lane]
        assert task.stage_limit is not None
        assert task.due_at == task.created_at + limit
        assert task.instructions
        orders.complete(instance_id, stage)
        assert_consistent(engine, instance_id)

    instance = engine.reads.get_instance(instance_id)
    assert instance.status == "completed"
    assert instance.ended_at is not None
    assert engine.reads.tasks(instance_id=instance_id) == []
    assert engine.reads.timers(instance_id, state="pending") == []
    types = [e.type for e in orders.events(instance_id)]
    assert types[0] == "started" and types[-1] == "ended"
    assert types.count("completed") == len(FLOW_STAGES[flow])
    assert "stage_overdue" not in types and "department_overdue" not in types


def test_completed_event_carries_actor_and_data_summary(orders):
    instance_id = orders.start("one_department")
    orders.complete(instance_id, "dispatch")
    completed = orders.events(instance_id, "completed")[0]
    assert completed.actor == "front_desk.clerk"
    assert completed.stage == "dispatch"
    assert completed.department == "front_desk"
    assert completed.detail["data"] == {"processing_department": "network_ops"}
    assert completed.detail["overdue"] is False


def test_start_requires_a_valid_submission(engine):
    from engine.definitions.forms import FormValidationError

    with pytest.raises(FormValidationError) as caught:
        engine.starter.start("one_department", "WO-bad", {"customer_phone": "12345"})
    fields = {e.field for e in caught.value.errors}
    assert {"customer_phone", "category", "content", "channel",
            "acceptance_department"} <= fields
    assert engine.reads.find_instance("one_department", "WO-bad") is None


def test_business_key_is_unique_per_definition(engine):
    from engine.errors import BusinessKeyInUse
    from tests.orders import SUBMISSION

    first = engine.starter.start("one_department", "WO-dup", SUBMISSION, actor="crm")
    with pytest.raises(BusinessKeyInUse) as caught:
        engine.starter.start("one_department", "WO-dup", {**SUBMISSION, "content": "Other."},
                     actor="crm")
    assert caught.value.instance_id == first.instance_id
    # The same business key under another flow is a different order.
    assert engine.starter.start("single_dispatch", "WO-dup", SUBMISSION, actor="crm").created


def test_a_retried_start_returns_the_same_instance(engine):
    from tests.orders import SUBMISSION

    first = engine.starter.start("one_department", "WO-retry", SUBMISSION, actor="crm")
    again = engine.starter.start("one_department", "WO-retry", SUBMISSION, actor="crm")
    assert first.created and not again.created
    assert again.instance_id == first.instance_id
    assert len(engine.reads.timeline(first.instance_id)) == 2  # started, task_ready: once


def test_an_idempotency_key_identifies_a_start(engine):
    from engine.errors import IdempotencyKeyReused
    from tests.orders import SUBMISSION

    first = engine.starter.start("one_department", "WO-a", SUBMISSION, actor="crm",
                         idempotency_key="req-1")
    again = engine.starter.start("one_department", "WO-a", SUBMISSION, actor="crm",
                         idempotency_key="req-1")
    assert again == type(first)(first.instance_id, created=False)
    with pytest.raises(IdempotencyKeyReused):
        engine.starter.start("one_department", "WO-b", SUBMISSION, actor="crm",
                             idempotency_key="req-1")
    # Keys belong to their caller: another integrator may use the same key.
    other = engine.starter.start("one_department", "WO-c", SUBMISSION, actor="hotline",
                         idempotency_key="req-1")
    assert other.created
