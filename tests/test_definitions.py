"""Diagrams are checked before anything is deployed; every problem is reported."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.definitions.bpmn import DefinitionInvalid, ProcessSource, parse_source
from engine.definitions.sources import collect_sources, files_in
from tests.conftest import FORMS, PROCESSES
from tests.diagrams import FORM, gateway_process

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>
"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>
"""


def _problems(bpmn: bytes, forms: dict | None = None) -> list:
    source = ProcessSource("gated", "gated.bpmn", bpmn,
                           {"check.json": FORM} if forms is None else forms)
    with pytest.raises(DefinitionInvalid) as caught:
        parse_source(source)
    return caught.value.problems


def test_the_shipped_diagrams_are_valid_and_keyed_by_file_stem():
    collected = collect_sources(files_in(PROCESSES, FORMS))
    assert collected.problems == []
    sources = collected.processes
    assert {s.key for s in sources} == {"single_dispatch", "one_department",
                                        "two_department_relay"}
    for source in sources:
        assert source.key == Path(source.file_name).stem
        parse_source(source)


@pytest.mark.parametrize("content", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
def test_hostile_xml_is_refused_before_parsing(content):
    [problem] = _problems(content)
    assert "DOCTYPE" in problem.message
    assert problem.line == 2


def test_malformed_xml_names_the_line():
    [problem] = _problems(b"<?xml version='1.0'?>\n<a>\n<b></a>")
    assert "not well-formed" in problem.message
    assert problem.line == 3


def test_script_task_and_pre_scripts_are_refused():
    extra = """<bpmn:scriptTask id="sneaky" name="Sneaky">
      <bpmn:script>import os</bpmn:script></bpmn:scriptTask>"""
    problems = _problems(gateway_process(extra=extra))
    assert any(p.element_id == "sneaky" and "scriptTask is not allowed" in p.message
               for p in problems)

    pre_script = gateway_process().replace(
        b"<spiffworkflow:properties>",
        b"<spiffworkflow:preScript>import os</spiffworkflow:preScript><spiffworkflow:properties>",
    )
    problems = _problems(pre_script)
    assert any(p.element_id == "check" and "preScript is not allowed" in p.message
               for p in problems)


@pytest.mark.parametrize("element", ["task", "manualTask"])
def test_tasks_nothing_would_complete_are_refused(element):
    """SpiffWorkflow waits at a plain or manual task as at a user task, but no stage is
    ever opened for it: refused with its element and line, not deployed to wait forever."""
    extra = f"""<bpmn:{element} id="by_hand" name="By hand" />"""
    problems = _problems(gateway_process(extra=extra))
    [problem] = [p for p in problems if p.element_id == "by_hand"]
    assert f"{element} is not allowed" in problem.message and "userTask" in problem.message
    assert problem.line and problem.file == "gated.bpmn"


def test_user_task_rules_are_all_reported_at_once():
    problems = _problems(gateway_process(form=None, in_lane=False, timer="PT15M"))
    messages = [p.message for p in problems if p.element_id == "check"]
    assert any("not in a lane" in m for m in messages)
    assert any("names no form" in m for m in messages)
    assert any("no stage-limit timer" in m for m in messages)
    assert all(p.line for p in problems)


def test_missing_and_invalid_forms():
    [missing] = _problems(gateway_process(form="nowhere.json"), forms={})
    assert "'nowhere.json' does not exist" in missing.message
    [invalid] = _problems(gateway_process(), forms={"check.json": {"type": "no-such-type"}})
    assert "not a valid JSON Schema" in invalid.message


def test_bad_timer_durations_are_caught_at_deploy():
    [problem] = _problems(gateway_process(timer='"P15Q"'))
    assert problem.element_id == "check_limit"
    assert "not an ISO 8601 duration" in problem.message
    problems = _problems(gateway_process(timer="__import__('os')"))
    assert {p.element_id for p in problems} == {"check_limit", "check"}
    assert any("name '__import__' is not allowed" in p.message for p in problems)


def test_schema_violations_from_spiffworkflow_carry_a_line():
    bad = gateway_process().replace(b'<bpmn:endEvent id="small"', b'<bpmn:endEvent ida="small"')
    problems = _problems(bad)
    assert problems and all(p.file == "gated.bpmn" for p in problems)
    assert any(p.line for p in problems)


def test_deploy_is_all_or_nothing(engine):
    good = ProcessSource("gated", "gated.bpmn", gateway_process(), {"check.json": FORM})
    bad = ProcessSource("other", "other.bpmn", gateway_process(key="other", form=None), {})
    with pytest.raises(DefinitionInvalid):
        engine.deployer.deploy([good, bad])
    from engine.errors import DefinitionNotFound
    with pytest.raises(DefinitionNotFound):
        engine.starter.start("gated", "G-1", {})


def test_changed_content_makes_a_new_version(engine):
    first = ProcessSource("gated", "gated.bpmn", gateway_process("amount > 10"),
                          {"check.json": FORM})
    second = ProcessSource("gated", "gated.bpmn", gateway_process("amount > 20"),
                           {"check.json": FORM})
    assert [r.version for r in engine.deployer.deploy([first])] == [1]
    assert [r.created for r in engine.deployer.deploy([first])] == [False]
    assert [r.version for r in engine.deployer.deploy([second])] == [2]
    started = engine.reads.get_instance(engine.starter.start("gated", "G-1", {}).instance_id)
    assert started.definition_version == 2
    pinned_id = engine.starter.start("gated", "G-2", {}, version=1).instance_id
    pinned = engine.reads.get_instance(pinned_id)
    assert pinned.definition_version == 1


@pytest.mark.parametrize(("code", "message"), [
    ("completed", "one of the engine's own timeline entries"),
    ("Order moved!", "must be 1-50 of a-z"),
    ("x" * 51, "must be 1-50 of a-z"),
])
def test_an_escalation_code_must_read_as_a_timeline_entry(code, message):
    bpmn = gateway_process().replace(b'escalationCode="stage_overdue"',
                                     f'escalationCode="{code}"'.encode())
    [problem] = _problems(bpmn)
    assert message in problem.message and problem.element_id == "stage_overdue"


def test_a_stage_limit_is_a_literal_or_a_limit_function_of_one():
    for timer in ('scaled("PT15M", limit_factor)', 'department_time_left("PT1H", 0.5)'):
        _problems_or_none = parse_source(ProcessSource(
            "gated", "gated.bpmn", gateway_process(timer=timer), {"check.json": FORM}))
        assert _problems_or_none.key == "gated"
    problems = _problems(gateway_process(timer='max("PT15M", "PT20M")'))
    assert any("no stage-limit timer" in p.message for p in problems)
