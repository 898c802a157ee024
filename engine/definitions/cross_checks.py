"""Checks across what is deployed together: a diagram and the decision table it starts
with, a decision table and the department directory, the escalation ladder and whom it
may notify, a table and what the application expects of it (engine/definitions/
expectations.py). Each problem is found at deploy time, not when an order runs into it."""
from __future__ import annotations

import ast
import math
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.definitions.bpmn import (
    NS,
    SETTLED_BY_PROPERTY,
    START_DECISION_PROPERTY,
    DefinitionInvalid,
    ParsedProcess,
    Problem,
    ProcessSource,
    safe_root,
    start_property,
)
from engine.definitions.decisions import (
    DecisionSource,
    ParsedDecision,
    evaluate_cell,
    output_cells,
    parse_decision,
    rule_outputs,
)
from engine.definitions.expectations import DecisionExpectation, expectation_problems
from engine.definitions.limits import DEFAULT_LIMITS, DefinitionLimits
from engine.reference.directory import Directory
from engine.runtime.form_data import CODE_LIST_KEYWORD
from engine.runtime.ladder_table import LADDER_KEY, ladder_problems, rungs_of
from engine.runtime.limits import LIMIT_KINDS
from engine.runtime.notifications import AUDIENCES
from engine.runtime.sandbox import LANE_SUFFIX, parse_duration
from engine.store.models import DecisionDefinition
from engine.store.queries import latest_definitions

# Names a diagram's expressions read that only its start decision (service levels) sets.
SERVICE_LEVEL_NAMES = ("limit_factor", "max_reassignments")
EXPRESSIONS = ("//bpmn:conditionExpression | //bpmn:timeDuration | //bpmn:timeDate"
               " | //bpmn:timeCycle")


def reference_problems(
    session_factory: sessionmaker[Session],
    processes: list[tuple[ProcessSource, ParsedProcess]],
    decisions: list[tuple[DecisionSource, ParsedDecision]],
    directory: Directory | None,
    limits: DefinitionLimits = DEFAULT_LIMITS,
    expectations: tuple[DecisionExpectation, ...] = (),
    code_lists: Collection[str] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    with session_factory() as session:
        lanes = _lanes(session, processes) if decisions else set()
        expected = {expectation.key: expectation for expectation in expectations}
        known: set[str] | None = None
        for table, decision in decisions:
            problems.extend(_limit_factor_problems(table, decision, limits))
            problems.extend(_lane_role_problems(table, decision, directory))
            problems.extend(Problem(table.file_name, message, element_id=table.key)
                            for message in _decision_problems(decision, directory, lanes))
            if (expectation := expected.get(table.key)) is not None:
                if known is None:
                    known = _process_keys(session, processes)
                problems.extend(expectation_problems(expectation, table, decision, known))
        uploaded = {table.key: decision for table, decision in decisions}
        for source, process in processes:
            problems.extend(_start_decision_problems(session, source, process, uploaded))
            problems.extend(_consulted_decision_problems(session, source, uploaded))
            problems.extend(_settled_by_problems(source, process))
    if code_lists is not None:
        problems.extend(_code_list_problems(processes, code_lists))
    return problems


def _lanes(session: Session, processes: list[tuple[ProcessSource, ParsedProcess]]) -> set[str]:
    """The lanes (lower case) of the diagrams deployed with this and of the newest
    version of every other: a ladder may notify 'the department working lane X'."""
    uploaded = {source.key for source, _ in processes}
    xml = [source.bpmn for source, _ in processes] + [
        definition.bpmn_xml.encode("utf-8")
        for definition, _versions in latest_definitions(session)
        if definition.key not in uploaded]
    return {str(name).lower() for content in xml
            for name in safe_root("lanes", content).xpath("//bpmn:lane/@name", namespaces=NS)}


def _process_keys(session: Session,
                  processes: list[tuple[ProcessSource, ParsedProcess]]) -> set[str]:
    """The keys of the processes deployed, and of those being deployed."""
    return {source.key for source, _ in processes} | {
        definition.key for definition, _versions in latest_definitions(session)}


def _decision_problems(decision: ParsedDecision, directory: Directory | None,
                       lanes: set[str]) -> list[str]:
    """What a table's outputs must be: a whole number of reassignments, departments of
    the directory; a ladder's rungs and recipients (limit factors: below)."""
    problems = []
    for number, outputs in rule_outputs(decision):
        for name, value in outputs.items():
            where = f"rule {number}, output {name!r}"
            if name in ("max_reassignments", "max_pauses") and (
                    isinstance(value, bool) or not isinstance(value, int) or value < 0):
                problems.append(f"{where}: must be a whole number of 0 or more, "
                                f"not {value!r}")
            elif name in ("max_pause_time", "order_limit") and not _is_duration(value):
                problems.append(f"{where}: must be an ISO 8601 duration in quotes, such as "
                                f"\"P3D\", not {value!r}")
            elif name.endswith("_department") and value is not None and directory is not None \
                    and value not in directory:
                problems.append(f"{where}: {value!r} is not a department in the directory")
    if decision.key == LADDER_KEY:
        problems.extend(f"escalation ladder: {message}" for message in ladder_problems(decision))
        if not problems:
            problems.extend(_recipient_problems(decision, directory, lanes))
    return problems


def _limit_factor_problems(table: DecisionSource, decision: ParsedDecision,
                           limits: DefinitionLimits) -> list[Problem]:
    """Each limit_factor a table gives: a number written in the table, above 0 and at most
    the largest factor allowed (a stage limit times it must stay a sane duration)."""
    problems: list[Problem] = []
    cells = [cell for cell in output_cells(decision) if cell[2] == "limit_factor"]
    lines = {node.get("id"): node.sourceline
             for node in safe_root(table.file_name, table.dmn).iter() if cells and node.get("id")}
    for number, cell_id, _name, text in cells:
        try:
            value = evaluate_cell(decision, text) if text.strip() else None
        except Exception:  # computed from an input: its value cannot be bounded here
            value = text
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value) or not 0 < value <= limits.max_limit_factor:
            problems.append(Problem(
                table.file_name, f"rule {number}, output 'limit_factor': a limit factor must "
                f"be a number above 0 and at most {limits.max_limit_factor:g} (settings: "
                f"definitions.max_limit_factor), written in the table, not {value!r}",
                lines.get(cell_id), cell_id))
    return problems


def _lane_role_problems(table: DecisionSource, decision: ParsedDecision,
                        directory: Directory | None) -> list[Problem]:
    """Each `<lane>_department` a table gives (the routing table's processing and relaying
    departments) names a department whose roles include that lane, as a department
    submitted in form data must (engine/runtime/form_data.py): a supervising unit is
    never dispatched to, an acceptance desk never handles an order. A department not in
    the directory is reported by _decision_problems; a value computed from the inputs
    cannot be checked here."""
    if directory is None:
        return []
    cells = [cell for cell in output_cells(decision)
             if cell[2].endswith(LANE_SUFFIX) and cell[3].strip()]
    problems: list[Problem] = []
    lines: dict[str | None, int | None] = {}
    for number, cell_id, name, text in cells:
        try:
            value = evaluate_cell(decision, text)
        except Exception:  # computed from an input: checked when an order is routed
            continue
        entry = directory.get(value) if isinstance(value, str) else None
        lane = name.removesuffix(LANE_SUFFIX)
        if entry is None or not entry.roles or lane in entry.roles:
            continue
        if not lines:
            lines = {node.get("id"): node.sourceline
                     for node in safe_root(table.file_name, table.dmn).iter() if node.get("id")}
        problems.append(Problem(
            table.file_name, f"rule {number}, output {name!r}: {value!r} does not work the "
            f"{lane} lane (its roles: {', '.join(entry.roles)}); name a department whose "
            f"roles in the directory include {lane}", lines.get(cell_id), cell_id))
    return problems


def _recipient_problems(decision: ParsedDecision, directory: Directory | None,
                        lanes: set[str]) -> list[str]:
    problems = []
    for kind in LIMIT_KINDS:
        for rung in rungs_of(decision, kind):
            for name in rung.notify:
                if name not in AUDIENCES and name.lower() not in lanes and (
                        directory is None or name not in directory):
                    problems.append(
                        f"escalation ladder: rung {rung.name!r} notifies {name!r}, which is "
                        f"neither one of {', '.join(AUDIENCES)}, a lane of a deployed "
                        "diagram, nor a department")
    return problems


def _start_decision_problems(session: Session, source: ProcessSource, process: ParsedProcess,
                             uploaded: dict[str, ParsedDecision]) -> list[Problem]:
    """The start decision exists and sets the service-level names the diagram reads."""
    key = start_property(process, START_DECISION_PROPERTY)
    needed = sorted(_names_read(source) & set(SERVICE_LEVEL_NAMES))
    if key is None:
        return [Problem(source.file_name, f"expressions read {', '.join(needed)}, which only "
                        f"a start decision sets: give the start event a "
                        f"{START_DECISION_PROPERTY} property (e.g. service_levels)")
                ] if needed else []
    decision = uploaded.get(key) or _deployed(session, key)
    if decision is None:
        return [Problem(source.file_name, f"the start event's {START_DECISION_PROPERTY} names "
                        f"decision table {key!r}, which is neither deployed nor in this "
                        "deployment")]
    missing = [name for name in needed if name not in _output_names(decision)]
    return [Problem(source.file_name, f"expressions read {name}, but decision table {key!r} "
                    "does not output it") for name in missing]


def _settled_by_problems(source: ProcessSource, process: ParsedProcess) -> list[Problem]:
    """A deadlineSettledBy property names a task of the diagram (a typo would leave the
    deadline running to the instance's end, unnoticed)."""
    task_id = start_property(process, SETTLED_BY_PROPERTY)
    if task_id is None:
        return []
    ids = {getattr(spec, "bpmn_id", None) for spec in process.spec.task_specs.values()}
    if task_id in ids:
        return []
    return [Problem(source.file_name, f"the start event's {SETTLED_BY_PROPERTY} names "
                    f"{task_id!r}, which is no task of this diagram")]


def _consulted_decision_problems(session: Session, source: ProcessSource,
                                 uploaded: dict[str, ParsedDecision]) -> list[Problem]:
    """Each decide("table", "output") of the diagram names, in quotes, a table that is
    deployed or in this deployment and one of its outputs."""
    problems = []
    root = safe_root(source.file_name, source.bpmn)
    for node in root.xpath("//bpmn:conditionExpression", namespaces=NS):
        try:
            tree = ast.parse((node.text or "").strip(), mode="eval")
        except SyntaxError:
            continue  # the diagram's own lint reports it
        owner = node.getparent()
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id == "decide"):
                continue
            message = _decide_problem(session, call, uploaded)
            if message is not None:
                problems.append(Problem(source.file_name, message, node.sourceline,
                                        owner.get("id") if owner is not None else None))
    return problems


def _decide_problem(session: Session, call: ast.Call,
                    uploaded: dict[str, ParsedDecision]) -> str | None:
    arguments = [arg.value for arg in call.args
                 if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    if len(arguments) != 2 or len(call.args) != 2 or call.keywords:
        return ('decide takes the decision table\'s key and the output wanted, both in '
                'quotes: decide("table", "output")')
    key, output = arguments
    decision = uploaded.get(key) or _deployed(session, key)
    if decision is None:
        return (f"decide consults decision table {key!r}, which is neither deployed nor in "
                "this deployment")
    if output not in _output_names(decision):
        return f"decision table {key!r} has no output {output!r}"
    return None


def _code_list_problems(processes: list[tuple[ProcessSource, ParsedProcess]],
                        code_lists: Collection[str]) -> list[Problem]:
    """Each form field naming a code list ("x-code-list") names one the data has."""
    problems = []
    forms = {name: form for _source, process in processes
             for name, form in process.forms.items()}
    for name, form in sorted(forms.items()):
        properties = form.get("properties") if isinstance(form, dict) else None
        for field, schema in (properties.items() if isinstance(properties, dict) else ()):
            listed = schema.get(CODE_LIST_KEYWORD) if isinstance(schema, dict) else None
            if listed is not None and listed not in code_lists:
                problems.append(Problem(name, f"field {field!r} names the code list "
                                        f"{listed!r}; the data has {sorted(code_lists)}",
                                        element_id=f"/properties/{field}"))
    return problems


def _names_read(source: ProcessSource) -> set[str]:
    names = set()
    for node in safe_root(source.file_name, source.bpmn).xpath(EXPRESSIONS, namespaces=NS):
        try:
            tree = ast.parse((node.text or "").strip(), mode="eval")
        except SyntaxError:
            continue  # the diagram's own lint reports it
        names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names


def _deployed(session: Session, key: str) -> ParsedDecision | None:
    row = session.scalars(select(DecisionDefinition).where(DecisionDefinition.key == key)
                          .order_by(DecisionDefinition.version.desc()).limit(1)).first()
    if row is None:
        return None
    try:
        return parse_decision(DecisionSource(row.key, row.file_name, row.dmn_xml.encode()))
    except DefinitionInvalid:
        return None


def _output_names(decision: ParsedDecision) -> set[Any]:
    table = decision.engine.decision_table
    return {output.name for output in table.outputs}


def _is_duration(value: object) -> bool:
    try:
        return isinstance(value, str) and parse_duration(value) >= timedelta(0)
    except (ValueError, ArithmeticError):
        return False
