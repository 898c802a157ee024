"""What designers write stays within bounds (issue 13): timer durations and cycles,
service-level factors, message names and the size of a diagram are checked at deploy,
every problem with file, line and element."""
from __future__ import annotations

import inspect
import json
import sys
from datetime import timedelta

import pytest

from engine.definitions.bpmn import DefinitionInvalid, ProcessSource, parse_source
from engine.definitions.decisions import decision_source
from engine.definitions.limits import DEFAULT_LIMITS, DefinitionLimits
from engine.reference.settings import Settings, SettingsInvalid
from tests.conftest import PROCESSES, ROOT
from tests.diagrams import FORM, HEADER, REMINDER, gateway_process


def _source(bpmn: bytes) -> ProcessSource:
    return ProcessSource("gated", "gated.bpmn", bpmn, {"check.json": FORM})


def _problems(bpmn: bytes, limits: DefinitionLimits | None = None) -> list:
    with pytest.raises(DefinitionInvalid) as caught:
        parse_source(_source(bpmn), *([limits] if limits else []))
    return caught.value.problems


def _only(problems: list, element_id: str):
    [problem] = [p for p in problems if p.element_id == element_id]
    assert problem.file == "gated.bpmn" and problem.line
    return problem


# Durations -----------------------------------------------------------------------------

@pytest.mark.parametrize(("timer", "message"), [
    ('"P999999999D"', "longer than P365D"),
    ('"P366D"', "longer than P365D"),
    ('"-PT1H"', "not longer than zero"),
    ('"PT0S"', "not longer than zero"),
    ('"PT30S"', "shorter than PT1M"),
    ('scaled("P999999999D", limit_factor)', "longer than P365D"),
    ('department_time_left("-PT3H", limit_factor)', "not longer than zero"),
    ('scaled("PT2H", 1e300)', "the factor must be limit_factor"),
    ('scaled("PT2H", -2)', "the factor must be limit_factor"),
    ('scaled("PT2H", amount)', "the factor must be limit_factor"),
    ('scaled(scaled("PT2H", limit_factor), limit_factor)', "must be an ISO 8601 duration in"),
])
def test_stage_limits_outside_the_bounds_are_refused(timer, message):
    """"P999999999D" deployed, then every start answered 500 (OverflowError); "-PT1H" lost
    its sign and ran as an hour."""
    problem = _only(_problems(gateway_process(timer=timer)), "check_limit")
    assert message in problem.message, problem.message


@pytest.mark.parametrize("timer", ['"PT1M"', '"P365D"', '"PT1H30M"', '"P1W"',
                                   'scaled("PT2H", limit_factor)', 'scaled("PT2H", 0.5)',
                                   'department_time_left("PT3H")'])
def test_stage_limits_within_the_bounds_deploy(timer):
    assert parse_source(_source(gateway_process(timer=timer))).key == "gated"


def test_the_bounds_are_settings():
    tight = DefinitionLimits(min_duration=timedelta(hours=1), max_duration=timedelta(days=1))
    assert "shorter than PT1H" in _only(_problems(gateway_process(timer='"PT30M"'), tight),
                                        "check_limit").message
    assert "longer than P1D" in _only(_problems(gateway_process(timer='"P2D"'), tight),
                                      "check_limit").message


def test_a_refused_limit_never_reaches_an_order(engine):
    from engine.errors import DefinitionNotFound

    with pytest.raises(DefinitionInvalid, match="longer than P365D"):
        engine.deployer.deploy([_source(gateway_process(timer='"P999999999D"'))])
    with pytest.raises(DefinitionNotFound):
        engine.starter.start("gated", "G-1", {})


# Cycles --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "message"), [
    ('"R/PT1S"', "repeats without end"),
    ('"R/PT0S"', "repeats without end"),
    ('"R5/PT0S"', "not longer than zero"),
    ('"R5/PT1S"', "shorter than PT5M"),
    ('"R5/PT4M59S"', "shorter than PT5M"),
    ('"R101/PT10M"', "repeats 101 times; from 1 to 100"),
    ('"R0/PT10M"', "repeats 0 times"),
    ('"R3/P999999999D"', "longer than P365D"),
    ('"R3/2026-03-02T08:00:00/PT10M"', "has no time zone"),
    ('"R3/PT10M/PT20M"', "write R<n>/<duration>"),
    ('"every ten minutes"', "not an ISO 8601 repeating interval"),
    ("cycle", "must be written in quotes"),
])
def test_cycles_that_fire_forever_or_too_often_are_refused(value, message):
    """"R/PT1S" fired every second for ever (716 timeline rows in 16 minutes); "R/PT0S"
    never fired and was leased again every 5 minutes."""
    bpmn = gateway_process(extra=REMINDER.format(element="timeCycle", value=value))
    assert message in _only(_problems(bpmn), "reminder").message


@pytest.mark.parametrize("value", ['"R3/PT10M"', '"R100/PT5M"', '"R1/P365D"',
                                   '"R3/2026-03-02T08:00:00Z/PT10M"'])
def test_bounded_cycles_deploy(value):
    bpmn = gateway_process(extra=REMINDER.format(element="timeCycle", value=value))
    assert parse_source(_source(bpmn)).key == "gated"


def test_cycle_bounds_are_settings():
    hourly = DefinitionLimits(min_cycle_interval=timedelta(hours=1), max_cycle_repetitions=3)
    bpmn = gateway_process(extra=REMINDER.format(element="timeCycle", value='"R4/PT10M"'))
    assert "from 1 to 3" in _only(_problems(bpmn, hourly), "reminder").message
    bpmn = gateway_process(extra=REMINDER.format(element="timeCycle", value='"R3/PT10M"'))
    assert "shorter than PT1H" in _only(_problems(bpmn, hourly), "reminder").message


# Messages ------------------------------------------------------------------------------

def _with_message(name: str) -> bytes:
    catch = """
    <bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:messageEventDefinition
      id="wait_def" messageRef="msg" /></bpmn:intermediateCatchEvent>"""
    return gateway_process(extra=catch).replace(
        b"</bpmn:definitions>",
        f'<bpmn:message id="msg" name="{name}" /></bpmn:definitions>'.encode())


@pytest.mark.parametrize(("name", "message"), [
    ("", "has no name"),
    ("   ", "has no name"),
    ("x" * 201, "longer than 200 characters"),
    ("customer/info", "contains '/'"),
])
def test_message_names_that_could_not_be_delivered_are_refused(name, message):
    problem = _only(_problems(_with_message(name)), "msg")
    assert message in problem.message


def test_a_message_name_of_200_characters_deploys():
    assert parse_source(_source(_with_message("x" * 200))).key == "gated"


def test_an_unreferenced_message_event_is_named_by_its_event():
    catch = """
    <bpmn:intermediateCatchEvent id="wait" name="a/b"><bpmn:messageEventDefinition
      id="wait_def" /></bpmn:intermediateCatchEvent>"""
    problem = _only(_problems(gateway_process(extra=catch)), "wait")
    assert "contains '/'" in problem.message


# Sizes ---------------------------------------------------------------------------------

def chain_of_user_tasks(count: int) -> bytes:
    """start -> `count` user tasks in a row -> end (no lanes, forms or limits: the size
    must be refused before any of that is looked at)."""
    tasks = "".join(
        f'<bpmn:userTask id="t{n}"><bpmn:incoming>f{n}</bpmn:incoming>'
        f'<bpmn:outgoing>f{n + 1}</bpmn:outgoing></bpmn:userTask>'
        f'<bpmn:sequenceFlow id="f{n + 1}" sourceRef="t{n}" '
        f'targetRef="{f"t{n + 1}" if n + 1 < count else "end"}"/>\n' for n in range(count))
    return (HEADER + '<bpmn:process id="chain" isExecutable="true">'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>'
            '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="t0"/>\n' + tasks +
            f'<bpmn:endEvent id="end"><bpmn:incoming>f{count}</bpmn:incoming></bpmn:endEvent>'
            "</bpmn:process></bpmn:definitions>").encode()


def test_a_diagram_over_the_size_limits_is_refused_before_it_is_parsed():
    """1,000 user tasks in a row failed with a bare RecursionError inside SpiffWorkflow."""
    source = ProcessSource("chain", "chain.bpmn", chain_of_user_tasks(1000), {})
    with pytest.raises(DefinitionInvalid) as caught:
        parse_source(source)
    [problem] = caught.value.problems
    assert problem.file == "chain.bpmn" and problem.element_id == "chain"
    assert "1,002 flow nodes" in problem.message and "at most 250" in problem.message


@pytest.mark.parametrize(("limits", "message"), [
    (DefinitionLimits(max_file_bytes=1000), "at most 1,000 are deployed"),
    (DefinitionLimits(max_elements=10), "XML elements; at most 10 "),
    (DefinitionLimits(max_flow_nodes=5), "7 flow nodes (tasks, events, gateways"),
])
def test_each_size_limit_is_a_setting(limits, message):
    [problem] = _problems(gateway_process(), limits)
    assert message in problem.message


def test_sub_processes_nest_only_so_deep():
    from tests.diagrams import staged_process

    nested = staged_process(["a"]).replace(b'<bpmn:subProcess id="work" name="Work">',
                                           b'<bpmn:subProcess id="work" name="Work">'
                                           b'<bpmn:subProcess id="inner" />')
    source = ProcessSource("staged", "staged.bpmn", nested, {"check.json": FORM})
    with pytest.raises(DefinitionInvalid) as caught:
        parse_source(source, DefinitionLimits(max_nesting=1))
    assert "sub-processes nested 2 deep; at most 1" in caught.value.problems[0].message


def test_the_largest_diagram_allowed_still_parses():
    """At the default limit a chain of user tasks parses without a RecursionError, with
    room to spare for a server's own stack."""
    largest = chain_of_user_tasks(DEFAULT_LIMITS.max_flow_nodes - 2)  # with start and end
    source = ProcessSource("chain", "chain.bpmn", largest, {})
    depth = len(inspect.stack(0))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit - 150)  # as if 150 frames deeper (a request handler)
    try:
        with pytest.raises(DefinitionInvalid) as caught:
            parse_source(source)
    finally:
        sys.setrecursionlimit(limit)
    assert depth < 150
    assert not any("too deeply chained" in p.message or "RecursionError" in p.message
                   for p in caught.value.problems)


def test_a_decision_table_over_the_size_limits_is_refused(engine):
    routing = (PROCESSES / "routing.dmn").read_bytes()
    engine.deployer.limits = DefinitionLimits(max_elements=50)
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deployer.deploy_files({"routing.dmn": routing})
    [problem] = caught.value.problems
    assert problem.file == "routing.dmn" and "XML elements; at most 50" in problem.message
    assert decision_source("routing.dmn", routing).key == "routing"


# Settings ------------------------------------------------------------------------------

def test_the_shipped_settings_state_the_defaults():
    shipped = json.loads((ROOT / "data" / "settings.json").read_text(encoding="utf-8"))
    assert Settings.from_document(shipped).definitions == DEFAULT_LIMITS
    assert Settings.from_document({}).definitions == DEFAULT_LIMITS


@pytest.mark.parametrize(("section", "message"), [
    ({"min_duration": "PT0S"}, "min_duration must be longer than zero"),
    ({"min_duration": "P2D", "max_duration": "P1D"}, "max_duration must not be shorter"),
    ({"max_duration": "P1Y"}, "not an ISO 8601 duration"),
    ({"max_limit_factor": 0}, "max_limit_factor must be above 0"),
    ({"max_limit_factor": 10000}, "at most 1000 years"),
    ({"max_flow_nodes": 5000}, "max_flow_nodes must be a whole number from 1 to 400"),
    ({"max_file_bytes": 0}, "max_file_bytes must be a whole number from 1"),
    ({"max_cycle_repetitions": 2.5}, "is not a whole number"),
    ({"min_cycle_interval": "PT0.5S"}, "min_cycle_interval must be at least a second"),
    ({"max_elements_": 3}, "unknown setting(s) max_elements_"),
])
def test_malformed_definition_settings_say_where(section, message):
    with pytest.raises(SettingsInvalid, match=r"definitions.*" + message.replace(
            "(", r"\(").replace(")", r"\)")):
        Settings.from_document({"definitions": section})
