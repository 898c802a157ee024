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


REMOTE = "http://127.0.0.1:9/address.json"


def _with_ref(form: dict, ref: str) -> dict:
    return {**form, "properties": {**form["properties"], "address": {"$ref": ref}}}


@pytest.mark.parametrize("ref", [REMOTE, "address.json", "file:///etc/passwd",
                                 "https://json-schema.org/draft/2020-12/schema",
                                 "#/$defs/missing"])
def test_a_ref_outside_the_form_is_refused_at_deploy_with_file_and_pointer(engine, ref):
    from engine.definitions.bpmn import DefinitionInvalid, ProcessSource
    from tests.diagrams import FORM, gateway_process

    source = ProcessSource("gated", "gated.bpmn", gateway_process(),
                           {"check.json": _with_ref(FORM, ref)})
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deployer.deploy([source])
    [problem] = caught.value.problems
    assert (problem.file, problem.element_id) == ("check.json", "/properties/address/$ref")
    assert ref in problem.message and "/properties/address/$ref" in problem.message


def test_refs_inside_the_form_resolve_without_fetching_anything(engine, monkeypatch):
    import urllib.request

    from engine.definitions.bpmn import ProcessSource
    from tests.diagrams import gateway_process

    fetched = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: fetched.append(a))
    form = {"$id": "https://forms.example/check.json", "type": "object",
            "$defs": {"amount": {"type": "integer", "maximum": 10},
                      "embedded": {"$id": "urn:example:code", "type": "string"}},
            "properties": {"amount": {"$ref": "#/$defs/amount"},
                           "code": {"$ref": "urn:example:code"},
                           "again": {"$ref": "check.json#/$defs/amount"}}}
    engine.deployer.deploy([ProcessSource("gated", "gated.bpmn", gateway_process(),
                                          {"check.json": form})])
    instance_id = engine.starter.start("gated", "G-1", {}).instance_id
    [task] = engine.reads.tasks(instance_id=instance_id)
    with pytest.raises(FormValidationError) as caught:
        engine.commands.complete_task(task.id, {"amount": 11, "code": 5, "again": "x"},
                                      "alice")
    assert {e.field for e in caught.value.errors} == {"amount", "code", "again"}
    assert fetched == []


def test_a_form_deployed_with_a_remote_ref_never_fetches_it(monkeypatch):
    """A form deployed before refs were checked: validating with it reads no network and
    no file; the submission is refused with a reason instead of a 500 or a hang."""
    import urllib.request

    from engine.definitions.forms import validate_form_data

    fetched = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: fetched.append(a))
    form = {"type": "object", "properties": {"address": {"$ref": REMOTE}}}
    with pytest.raises(FormValidationError) as caught:
        validate_form_data("old.json", form, {"address": {"city": "Hangzhou"}})
    assert fetched == []
    [error] = caught.value.errors
    assert error.field == "(form)" and REMOTE in error.message
