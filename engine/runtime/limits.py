"""Read-only views of a running SpiffWorkflow workflow: which stages are open, which
timers wait, and what each timer means. No database access here."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import EscalationEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.definitions.forms import FORM_PROPERTY
from engine.runtime.sandbox import department_of, format_duration, parse_duration
from engine.runtime.working_limits import ELAPSED, WORKING, clock_of

# Escalation codes the diagrams throw when a limit passes, and the timer kind each means.
OVERDUE_CODES = {"stage_overdue": "stage", "department_overdue": "department"}
LIMIT_KINDS = tuple(OVERDUE_CODES.values())  # a stage's own limit, its department's total


@dataclass(frozen=True)
class OpenStage:
    task: Task
    stage: str
    stage_name: str
    lane: str | None
    department: str
    form: str | None
    instructions: str | None


@dataclass(frozen=True)
class WaitingTimer:
    task: Task
    element_id: str
    kind: str  # stage | department | other
    due_at: datetime
    stage_task: Task | None

    @cached_property
    def clock(self) -> str:
        """elapsed, or working when the limit counts its department's working time."""
        definition = self.task.task_spec.event_definition
        return clock_of(getattr(definition, "expression", None)) if isinstance(
            definition, DurationTimerEventDefinition) else ELAPSED

    @cached_property
    def limit(self) -> str | None:
        """The limit this timer enforces (see applied_limit); worked out once."""
        return applied_limit(self.task)


def applied_limit(timer: Task) -> str | None:
    """The limit a timer enforces for this order, as an ISO 8601 duration: the duration
    its expression gives (a department total in full, not what is left of it), after
    the order's service level has scaled it. None for a date or cycle."""
    definition = timer.task_spec.event_definition
    if not isinstance(definition, DurationTimerEventDefinition):
        return None
    try:
        value = timer.workflow.script_engine.evaluate_budget(timer, definition.expression)
        if clock_of(definition.expression) == WORKING:
            return str(value)  # working days stay days: P1D is not PT24H
        return format_duration(parse_duration(value))
    except Exception:  # the timer itself evaluated; its limit is only for display
        return limit_text(definition.expression)


def open_stages(workflow: BpmnWorkflow) -> list[OpenStage]:
    stages = []
    for task in workflow.get_tasks(state=TaskState.READY):
        spec = task.task_spec
        if not isinstance(spec, UserTask):
            continue
        extensions = getattr(spec, "extensions", {}) or {}
        stages.append(OpenStage(
            task=task,
            stage=spec.bpmn_id,
            stage_name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane,
            department=department_of(task),
            form=extensions.get("properties", {}).get(FORM_PROPERTY),
            instructions=extensions.get("instructionsForEndUser"),
        ))
    return stages


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        event_value = task.internal_data.get("event_value")
        if not isinstance(definition, TimerEventDefinition) or event_value is None:
            continue
        if isinstance(event_value, dict):  # cycle timer: the next firing
            event_value = event_value["next"]
        timers.append(WaitingTimer(
            task=task,
            element_id=task.task_spec.bpmn_id,
            kind=timer_kind(task.task_spec),
            # Read exactly as SpiffWorkflow reads it, so the worker and Spiff agree.
            due_at=TimerEventDefinition.get_datetime(event_value),
            stage_task=attached_stage(task),
        ))
    return timers


def timer_kind(timer_spec: Any) -> str:
    """What a timer guards, read from the escalation its path throws."""
    for output in timer_spec.outputs:
        code = escalation_code(output)
        if code in OVERDUE_CODES:
            return OVERDUE_CODES[code]
    return "other"


def escalation_code(spec: Any) -> str | None:
    definition = getattr(spec, "event_definition", None)
    if isinstance(spec, ThrowingEvent) and isinstance(definition, EscalationEventDefinition):
        return definition.code
    return None


def attached_stage(boundary_task: Task) -> Task | None:
    """The user task a boundary event is attached to (its sibling under the split)."""
    parent = boundary_task.parent
    if parent is None:
        return None
    for sibling in parent.children:
        if isinstance(sibling.task_spec, UserTask):
            return sibling
    return None


# Functions that take the limit as written in the diagram as their first argument.
LIMIT_FUNCTIONS = ("scaled", "department_time_left")


def limit_text(expression: str) -> str | None:
    """The duration literal in a timer expression: the quoted text itself, or the
    first argument of a limit function, as in scaled(<quoted duration>, limit_factor)."""
    try:
        node = ast.parse((expression or "").strip(), mode="eval").body
    except SyntaxError:
        return None
    while isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name) \
            and node.func.id in LIMIT_FUNCTIONS:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
