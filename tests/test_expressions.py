"""The restricted evaluator, and diagrams that try to run code."""
from __future__ import annotations

import pytest

from engine.definitions.bpmn import DefinitionInvalid, ProcessSource, parse_source
from engine.runtime.sandbox import ExpressionError, check_expression, evaluate_expression
from tests.diagrams import FORM, gateway_process

HOSTILE = [
    ("__import__('os').system('touch /tmp/pwned')", "attribute access '.system'"),
    ("__import__('os')", "name '__import__'"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("amount.__class__", "attribute access"),
    ("open('/etc/passwd').read()", "attribute access"),
    ("open('/etc/passwd')", "call to 'open'"),
    ("eval('1')", "call to 'eval'"),
    ("getattr(amount, 'real')", "call to 'getattr'"),
    ("_secret > 1", "name '_secret'"),
    ("[x for x in range(10)]", "ListComp"),
    ("(lambda: 1)()", "Lambda"),
    ("2 ** 10 ** 10", "Pow"),
    ("amount > 1; import os", "not a valid expression"),
]


@pytest.mark.parametrize(("expression", "reason"), HOSTILE)
def test_check_refuses(expression, reason):
    with pytest.raises(ExpressionError) as caught:
        check_expression(expression)
    assert reason in str(caught.value)


@pytest.mark.parametrize(("expression", "names", "expected"), [
    ("amount > 10", {"amount": 11}, True),
    ("category in ('billing', 'network') and not urgent", {"category": "billing",
                                                          "urgent": False}, True),
    ("order['tier'] == 'vip'", {"order": {"tier": "vip"}}, True),
    ("max(a, b) + len(items)", {"a": 1, "b": 5, "items": [1, 2]}, 7),
    ('"PT15M"', {}, "PT15M"),
    ("'PT30M' if urgent else 'PT2H'", {"urgent": True}, "PT30M"),
])
def test_evaluates_allowed_expressions(expression, names, expected):
    assert evaluate_expression(expression, names) == expected


def _source(bpmn: bytes) -> ProcessSource:
    return ProcessSource("gated", "gated.bpmn", bpmn, {"check.json": FORM})


@pytest.mark.parametrize(("condition", "reason"), HOSTILE[:4])
def test_diagram_with_hostile_gateway_condition_is_refused_at_deploy(condition, reason, tmp_path):
    with pytest.raises(DefinitionInvalid) as caught:
        parse_source(_source(gateway_process(condition)))
    [problem] = caught.value.problems
    assert problem.element_id == "f3"
    assert problem.file == "gated.bpmn"
    assert problem.line is not None
    assert reason in problem.message


def test_hostile_condition_cannot_execute_even_if_it_got_past_deployment(
        engine, tmp_path, monkeypatch):
    """Defence in depth: bypass the deploy-time lint and run the diagram anyway."""
    from sqlalchemy import update

    from engine.errors import InstanceFailed
    from engine.store.models import ProcessDefinition
    marker = tmp_path / "pwned"
    safe = _source(gateway_process("amount > 10"))
    engine.deployer.deploy([safe])
    # Swap the stored spec for one parsed from a hostile diagram, without the lint.
    monkeypatch.setattr("engine.definitions.bpmn.lint_diagram", lambda *a: [])
    hostile = parse_source(_source(gateway_process(
        f"__import__('os').system('touch {marker}') or amount > 10")))
    monkeypatch.undo()
    from engine.runtime.serialization import dump_spec
    with engine.sessions() as session, session.begin():
        session.execute(update(ProcessDefinition)
                        .where(ProcessDefinition.key == "gated")
                        .values(serialized_spec=dump_spec(hostile.spec,
                                                          hostile.subprocess_specs)))
    instance_id = engine.starter.start("gated", "G-1", {}).instance_id
    task = engine.reads.tasks(instance_id=instance_id)[0]
    state_before = engine.reads.get_instance(instance_id).state

    with pytest.raises(InstanceFailed, match="__import__"):
        engine.commands.complete_task(task.id, {"amount": 50}, "alice")
    assert not marker.exists()
    assert engine.reads.get_instance(instance_id).state == state_before
    assert engine.reads.tasks(instance_id=instance_id)[0].state == "open"


def test_a_safe_gateway_condition_routes(engine):
    engine.deployer.deploy([_source(gateway_process("amount > 10"))])
    for amount, end in ((50, "big"), (5, "small")):
        instance_id = engine.starter.start("gated", f"G-{amount}", {}).instance_id
        task = engine.reads.tasks(instance_id=instance_id)[0]
        engine.commands.complete_task(task.id, {"amount": amount}, "alice")
        instance = engine.reads.get_instance(instance_id)
        assert instance.status == "completed"
        assert instance.variables["amount"] == amount
        assert end in instance.state


@pytest.mark.parametrize(("expression", "reason"), [
    ('len("%0300000000d" % 1)', "'%' formatting of text is not allowed"),
    ("len(str([[0] * 3000] * 3000))", "repetition would build more than"),
    ("sorted([[1] * 10000] * 10000)", "repetition would build more than"),
    ("str([1, 2])", "str() takes a number"),
    ("len(sum([[0] * 2000] * 2000, []))", "repetition would build more than"),
    ("sum([[0], [1]], [])", "positional argument"),
    ("sum([[1], [2]])", "sum() takes numbers only"),
    ("-" * 900 + "1", "more than 300 parts"),
    ("-" * 50 + "1", "nested deeper than"),
    ("+".join(["a"] * 400), "more than 300 parts"),
])
def test_resource_hungry_expressions_are_refused(expression, reason):
    with pytest.raises(Exception) as caught:
        evaluate_expression(expression, {"a": 1})
    assert reason in str(caught.value)


def test_numbers_still_work_with_the_guarded_operators():
    assert evaluate_expression("sum([1, 2.5]) + 7 % 3", {}) == 4.5
    assert evaluate_expression("len([0] * 1000) * 3", {}) == 3000
    assert evaluate_expression("str(amount) + ' yuan'", {"amount": 12}) == "12 yuan"
