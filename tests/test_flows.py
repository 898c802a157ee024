"""Each flow runs start to end, each stage in its lane with its form."""
from __future__ import annotations

import pytest

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

    instance = engine.get_instance(instance_id)
    assert instance.status == "completed"
    assert instance.ended_at is not None
    assert engine.tasks(instance_id=instance_id) == []
    assert engine.timers(instance_id, state="pending") == []
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
    from engine.forms import FormValidationError

    with pytest.raises(FormValidationError) as caught:
        engine.start("one_department", "WO-bad", {"customer_phone": "12345"})
    fields = {e.field for e in caught.value.errors}
    assert {"customer_phone", "category", "content", "channel",
            "acceptance_department"} <= fields
    assert engine.find_instance("one_department", "WO-bad") is None


def test_business_key_is_unique_per_definition(orders, engine):
    from engine.errors import BusinessKeyInUse
    from tests.orders import SUBMISSION

    first = engine.start("one_department", "WO-dup", SUBMISSION)
    with pytest.raises(BusinessKeyInUse) as caught:
        engine.start("one_department", "WO-dup", SUBMISSION)
    assert caught.value.instance_id == first
    # The same business key under another flow is a different order.
    engine.start("single_dispatch", "WO-dup", SUBMISSION)
