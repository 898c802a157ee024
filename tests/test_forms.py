"""Bad form data yields per-field errors and leaves task and instance unchanged."""
from __future__ import annotations

import pytest

from engine.definitions.forms import FormValidationError


def _snapshot(engine, instance_id):
    instance = engine.reads.get_instance(instance_id)
    return (instance.state, instance.row_version,
            [(t.id, t.state, t.assignee) for t in engine.reads.tasks(instance_id=instance_id,
                                                                state=None)],
            [e.id for e in engine.reads.timeline(instance_id)])


@pytest.mark.parametrize(("data", "expected"), [
    ({}, {"result": "is required", "resolved": "is required"}),
    ({"result": "", "resolved": "yes"}, {"result": "must not be empty",
                                          "resolved": "must be of type boolean"}),
    ({"result": "ok", "resolved": True, "colour": "red"},
     {"colour": "is not a field of this form"}),
    ({"result": "x" * 4001, "resolved": True}, {"result": "is longer than 4000 characters"}),
])
def test_bad_handle_data_is_refused_field_by_field(data, expected, orders, engine):
    instance_id = orders.start("one_department")
    orders.complete(instance_id, "dispatch")
    task = orders.open_task(instance_id)
    before = _snapshot(engine, instance_id)

    with pytest.raises(FormValidationError) as caught:
        engine.commands.complete_task(task.id, data, "alice")

    errors = {e.field: e.message for e in caught.value.errors}
    assert set(errors) == set(expected)
    for field, fragment in expected.items():
        assert fragment in errors[field]
    assert caught.value.form == "handle.json"
    assert _snapshot(engine, instance_id) == before


def test_phone_numbers_must_be_mainland_mobiles(engine):
    from tests.orders import SUBMISSION

    for good in ("13812345678", "15912345678", "19912345678", "16612345678"):
        engine.starter.start("one_department", f"WO-{good}", {**SUBMISSION, "customer_phone": good})
    for bad in ("12812345678", "1381234567", "138123456789", "+8613812345678", "10086"):
        with pytest.raises(FormValidationError) as caught:
            engine.starter.start("one_department", f"WO-{bad}",
                                 {**SUBMISSION, "customer_phone": bad})
        assert [e.field for e in caught.value.errors] == ["customer_phone"]
