"""Process definitions: read diagrams and forms, check them, parse them.

Every problem found is reported at once with file, line and element id; a definition
with any problem is never deployed. The checks here are the house rules of
DESIGN.md on top of SpiffWorkflow's own schema validation.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.definitions.forms import FORM_PROPERTY, schema_problems
from engine.definitions.limits import (
    DEFAULT_LIMITS,
    DefinitionLimits,
    file_size_problem,
    size_problems,
)
from engine.definitions.payloads import (
    PAYLOAD_SCHEMA_PROPERTY,
    attach_message_schemas,
    placement_problem,
)
from engine.definitions.timer_bounds import cycle_problems, duration_problems
from engine.definitions.xml_safety import UnsafeXmlError, parse_untrusted_xml
from engine.runtime.limits import limit_text
from engine.runtime.sandbox import ExpressionError, check_expression

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
# Where a task or start event names its form (the SpiffWorkflow modeler's convention).
FORM_PROPERTY_PATH = (
    "bpmn:extensionElements/spiffworkflow:properties/"
    f"spiffworkflow:property[@name='{FORM_PROPERTY}']"
)
FORM_XPATH = f"./{FORM_PROPERTY_PATH}/@value"
# Either kind of form a diagram names: a task's or start event's form, a message's
# payload schema (engine/definitions/payloads.py).
SCHEMA_PROPERTY_PATH = (
    "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
    f"[@name='{FORM_PROPERTY}' or @name='{PAYLOAD_SCHEMA_PROPERTY}']"
)
# A start event's property naming a decision table whose outputs join a new order's data.
START_DECISION_PROPERTY = "startDecision"
# A start event's property naming the task whose completion ends the whole-instance
# deadline (without it the deadline ends with the instance).
SETTLED_BY_PROPERTY = "deadlineSettledBy"
# An escalation a diagram throws becomes a timeline entry of that type (a transfer, an
# urge, ...): the code must read as one and must not pass for the engine's own entries.
ESCALATION_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
ENGINE_EVENT_TYPES = frozenset({
    "started", "task_ready", "claimed", "unclaimed", "completed", "task_cancelled",
    "timer_fired", "escalated", "message_received", "migrated", "ended",
})
# A message is delivered by name, over HTTP as a path segment (…/messages/{name}).
MAX_MESSAGE_NAME = 200


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    line: int | None = None
    element_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "line": self.line,
            "element_id": self.element_id, "message": self.message,
        }


class DefinitionInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class ProcessSource:
    """One diagram and the forms it refers to, as raw content."""

    key: str
    file_name: str
    bpmn: bytes
    forms: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256(self.bpmn)
        for name in sorted(self.forms):
            digest.update(name.encode())
            digest.update(json.dumps(self.forms[name], sort_keys=True).encode())
        return digest.hexdigest()


@dataclass
class ParsedProcess:
    key: str
    spec: Any
    subprocess_specs: dict
    forms: dict[str, Any]
    # The lanes of the process and its sub-processes, as the diagram names them. Worked
    # out when made: a parsed process is shared and no run may change it.
    lanes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        specs = [self.spec, *self.subprocess_specs.values()]
        self.lanes = tuple(sorted({task.lane for spec in specs
                                   for task in spec.task_specs.values()
                                   if getattr(task, "lane", None)}))


def start_property(parsed: ParsedProcess, name: str) -> str | None:
    """A spiffworkflow property of the process's start event (e.g. its form)."""
    for start_event in parsed.spec.start.outputs:
        properties = (getattr(start_event, "extensions", None) or {}).get("properties", {})
        if value := properties.get(name):
            return value
    return None


def form_names(file_name: str, content: bytes) -> set[str]:
    """The forms a diagram names (on its user tasks and start events, and as the payload
    schemas of its messages)."""
    root = safe_root(file_name, content)
    return set(root.xpath(f"//bpmn:*/{SCHEMA_PROPERTY_PATH}/@value", namespaces=NS))


def source_from_bytes(
    file_name: str, content: bytes, find_form: Callable[[str], Any | None]
) -> ProcessSource:
    """A diagram with the forms it names, as `find_form` supplies them (None: missing,
    which the lint reports)."""
    root = safe_root(file_name, content)
    forms = {name: form for name in sorted(form_names(file_name, content))
             if (form := find_form(name)) is not None}
    return ProcessSource(_process_key(file_name, root), file_name, content, forms)


def parse_source(source: ProcessSource, limits: DefinitionLimits = DEFAULT_LIMITS
                 ) -> ParsedProcess:
    """Check `source` against every rule and parse it; raise DefinitionInvalid if any fails.
    A diagram over the size limits is refused before anything else reads it."""
    size_check(source.file_name, source.bpmn, limits)
    root = safe_root(source.file_name, source.bpmn)
    if too_large := size_problems(root, limits):
        raise DefinitionInvalid([Problem(source.file_name, f"too large to deploy: {problem}",
                                         element_id=source.key) for problem in too_large])
    problems = lint_diagram(source.file_name, root, source.forms, limits)
    problems.extend(length_problems(source.file_name, root, "process"))
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, source.file_name)
        spec = parser.get_spec(source.key)
        subprocess_specs = parser.get_subprocess_specs(source.key)
        attach_message_schemas(root, [spec, *subprocess_specs.values()])
    except ValidationException as err:
        problems.append(Problem(
            source.file_name, str(err).split("\n")[0], int_or_none(err.line_number), err.id or None
        ))
    except SpiffWorkflowException as err:
        problems.append(Problem(source.file_name, str(err)))
    except RecursionError:  # under the size limits this should not happen: say so clearly
        problems.append(Problem(source.file_name, "too deeply chained to parse: shorten the "
                                "longest path of the flow or split it"))
    if problems:
        raise DefinitionInvalid(problems)
    return ParsedProcess(source.key, spec, subprocess_specs, dict(source.forms))


def size_check(file_name: str, content: bytes, limits: DefinitionLimits) -> None:
    """DefinitionInvalid if the file is larger than designers may deploy."""
    if problem := file_size_problem(len(content), limits):
        raise DefinitionInvalid([Problem(file_name, f"too large to deploy: {problem}")])


def lint_diagram(file_name: str, root: etree._Element, forms: dict[str, Any],
                 limits: DefinitionLimits = DEFAULT_LIMITS) -> list[Problem]:
    """The house rules; returns every problem found."""
    problems: list[Problem] = []

    def report(node: etree._Element, message: str) -> None:
        problems.append(Problem(file_name, message, node.sourceline, node.get("id")))

    for node in root.xpath("//bpmn:scriptTask | //bpmn:serviceTask", namespaces=NS):
        report(node, f"{etree.QName(node).localname} is not allowed: diagrams carry no code")
    # SpiffWorkflow stops at these as at a user task, but nothing would ever open them
    # as a stage: an order would wait on one forever.
    for node in root.xpath("//bpmn:task | //bpmn:manualTask", namespaces=NS):
        report(node, f"{etree.QName(node).localname} is not allowed: nothing would ever "
                     "complete it; make it a userTask (a stage with a lane, a form and a "
                     "stage limit)")
    for node in root.xpath("//spiffworkflow:preScript | //spiffworkflow:postScript", namespaces=NS):
        owner = node.getparent().getparent()
        problems.append(Problem(
            file_name, f"{etree.QName(node).localname} is not allowed: diagrams carry no code",
            node.sourceline, owner.get("id"),
        ))

    in_lane = set(root.xpath("//bpmn:lane/bpmn:flowNodeRef/text()", namespaces=NS))
    limited = _stage_limited(root)
    for task in root.xpath("//bpmn:userTask", namespaces=NS):
        if task.get("id") not in in_lane:
            report(task, "user task is not in a lane: every stage belongs to a department")
        if not task.xpath(FORM_XPATH, namespaces=NS):
            report(task, f"user task names no form (property {FORM_PROPERTY})")
        if task.get("id") not in limited:
            report(task, "user task has no stage-limit timer: attach a boundary timer whose "
                         "duration is an ISO 8601 duration in quotes (e.g. PT15M, quoted), "
                         "or scaled by the order's service level: scaled(<quoted>, "
                         "limit_factor)")

    checked: set[str] = set()
    for node in root.xpath(f"//bpmn:*[{SCHEMA_PROPERTY_PATH}]", namespaces=NS):
        for named in node.xpath(f"./{SCHEMA_PROPERTY_PATH}", namespaces=NS):
            form_name, kind = named.get("value") or "", "form"
            if named.get("name") == PAYLOAD_SCHEMA_PROPERTY:
                kind = "payload schema"
                if misplaced := placement_problem(node):
                    report(node, misplaced)
            if form_name not in forms:
                report(node, f"{kind} {form_name!r} does not exist in forms/")
            elif form_name not in checked:
                checked.add(form_name)
                problems.extend(form_problems(form_name, forms[form_name]))

    for node in root.xpath("//bpmn:escalation", namespaces=NS):
        code = node.get("escalationCode") or ""
        if not ESCALATION_CODE.fullmatch(code):
            report(node, f"escalation code {code!r} must be 1-50 of a-z, 0-9 and '_', "
                         "starting with a letter")
        elif code in ENGINE_EVENT_TYPES:
            report(node, f"escalation code {code!r} is one of the engine's own timeline "
                         "entries; choose another")

    for node in root.xpath(
        "//bpmn:conditionExpression | //spiffworkflow:messagePayload"
        " | //spiffworkflow:processVariableCorrelation/spiffworkflow:expression",
        namespaces=NS,
    ):
        _check_expression_node(node, report)
    for node in root.xpath(
        "//bpmn:timeDuration | //bpmn:timeDate | //bpmn:timeCycle", namespaces=NS
    ):
        _check_expression_node(node, report)
        kind = etree.QName(node).localname
        if kind == "timeDate":
            _check_literal_date(node, report)
            continue
        check = duration_problems if kind == "timeDuration" else cycle_problems
        for message in check((node.text or "").strip(), limits):
            report(_owning_element(node), message)
    problems.extend(_message_problems(file_name, root))
    return problems


def form_problems(form_name: str, form: Any) -> list[Problem]:
    """A form's problems, each with the form's file and the JSON pointer where it is."""
    return [Problem(form_name, f"at {problem.pointer or '/'}: {problem.message}",
                    element_id=problem.pointer or None)
            for problem in schema_problems(form)]


def _message_problems(file_name: str, root: etree._Element) -> list[Problem]:
    """A message is delivered by its name, as one segment of a URL: a name that is empty,
    longer than MAX_MESSAGE_NAME or holds a '/' could never be delivered."""
    problems = []
    names = {message.get("id"): message.get("name")
             for message in root.xpath("//bpmn:message", namespaces=NS)}
    for message in root.xpath("//bpmn:message", namespaces=NS):
        if problem := _message_name_problem(message.get("name")):
            problems.append(Problem(file_name, f"message {problem}", message.sourceline,
                                    message.get("id")))
    for definition in root.xpath("//bpmn:messageEventDefinition", namespaces=NS):
        if definition.get("messageRef") is None:  # the event's own name is the message's
            owner = definition.getparent()
            if problem := _message_name_problem(owner.get("name")):
                problems.append(Problem(file_name, f"the message of this event (its name, "
                                        f"as it names no message) {problem}",
                                        owner.sourceline, owner.get("id")))
        elif definition.get("messageRef") not in names:
            owner = definition.getparent()
            problems.append(Problem(file_name, f"the event names message "
                                    f"{definition.get('messageRef')!r}, which this diagram "
                                    "does not define", owner.sourceline, owner.get("id")))
    return problems


def _message_name_problem(name: str | None) -> str | None:
    if name is None or not name.strip():
        return "has no name: name it, as senders will"
    if len(name) > MAX_MESSAGE_NAME:
        return f"name is longer than {MAX_MESSAGE_NAME} characters"
    if "/" in name:
        return f"name {name!r} contains '/': it could not be delivered over HTTP"
    return None


MAX_KEY_LENGTH = 200  # the key and name columns


def length_problems(file_name: str, root: etree._Element, element: str) -> list[Problem]:
    """Keys and names longer than the database stores them."""
    problems = []
    for node in root.iter(f"{{*}}{element}"):
        for attribute in ("id", "name"):
            if len(node.get(attribute) or "") > MAX_KEY_LENGTH:
                problems.append(Problem(file_name, f"{element} {attribute} is longer than "
                                        f"{MAX_KEY_LENGTH} characters", node.sourceline,
                                        (node.get("id") or "")[:60] or None))
    return problems


def _check_expression_node(node: etree._Element, report) -> None:
    owner = _owning_element(node)
    text = (node.text or "").strip()
    if not text:
        report(owner, f"empty {etree.QName(node).localname}")
        return
    try:
        check_expression(text)
    except ExpressionError as err:
        report(owner, str(err))


def _check_literal_date(node: etree._Element, report) -> None:
    literal = _string_literal(node.text or "")
    if literal is None:
        return
    try:
        moment = datetime.fromisoformat(literal)
    except ValueError:
        report(_owning_element(node), f"timer date {literal!r} is not an ISO 8601 date-time")
        return
    if moment.tzinfo is None:
        report(_owning_element(node), f"timer date {literal!r} has no time zone; "
                                      "write it with an offset, e.g. +08:00 or Z")


def _stage_limited(root: etree._Element) -> set[str]:
    """The tasks with a boundary timer whose duration is a literal (or a limit function
    of one): their stage limits. One pass, however many tasks."""
    durations = root.xpath(
        "//bpmn:boundaryEvent/bpmn:timerEventDefinition/bpmn:timeDuration", namespaces=NS)
    return {duration.getparent().getparent().get("attachedToRef") for duration in durations
            if limit_text(duration.text or "") is not None}


def _string_literal(text: str) -> str | None:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" and text[0] not in text[1:-1]:
        return text[1:-1]
    return None


def _owning_element(node: etree._Element) -> etree._Element:
    """The element a designer sees in the modeler: the event or flow an expression is on."""
    while (parent := node.getparent()) is not None and (
        node.get("id") is None or etree.QName(node).localname.endswith("EventDefinition")
    ):
        node = parent
    return node


def _process_key(file_name: str, root: etree._Element) -> str:
    processes = root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)
    if len(processes) != 1:
        raise DefinitionInvalid([Problem(
            file_name, f"expected exactly one executable process, found {len(processes)}"
        )])
    return processes[0].get("id")


def safe_root(file_name: str, content: bytes) -> etree._Element:
    """The root element of untrusted XML, or DefinitionInvalid saying what is wrong."""
    try:
        return parse_untrusted_xml(content, file_name)
    except UnsafeXmlError as err:
        raise DefinitionInvalid([Problem(file_name, err.message, err.line)]) from None


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
