"""What people and systems do to running instances: claim, unclaim and complete a task,
deliver or correlate a message. Each is one unit of work; the `*_in` forms run inside a
unit of work the caller opened (the work-order layer adds its own rules and rows there).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.definitions.forms import (
    FieldError,
    FormValidationError,
    validate_form_data,
    with_defaults,
)
from engine.definitions.payloads import payload_schema
from engine.errors import (
    AmbiguousCorrelation,
    MessageNotCorrelated,
    NotWaitingForMessage,
    TaskClaimedByOther,
    TaskNotFound,
    TaskNotOpen,
)
from engine.reference.code_lists import CodeLists
from engine.reference.directory import Directory
from engine.runtime.form_data import check_form_data
from engine.runtime.pipeline import Pipeline
from engine.runtime.sandbox import add_department_seconds
from engine.runtime.serialization import restore_workflow
from engine.runtime.step import SYSTEM_ACTOR, Acting, Step, append_timeline, iso, summary
from engine.runtime.working_limits import add_working_seconds
from engine.store.models import HumanTask, ProcessInstance
from engine.store.unit_of_work import UnitsOfWork

# Form field whose text becomes the reason of the order event a completion causes.
REASON_FIELD = "reason"


@dataclass(frozen=True)
class Completion:
    task: HumanTask  # as completed
    next_tasks: list[HumanTask]  # the instance's stages open now, in the order they opened


@dataclass(frozen=True)
class CheckedData:
    """Form data checked before the lock, for the form and version it was checked for."""

    form: str | None
    definition_id: int
    data: dict[str, Any]
    stage: str | None = None  # the task's stage, for the caller's own checks


class Commands:
    """Task and message commands on running instances."""

    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline, clock: Clock,
                 directory: Directory | None, code_lists: CodeLists | None = None) -> None:
        self.uow = uow
        self.pipeline = pipeline
        self.clock = clock
        self.directory = directory
        self.code_lists = code_lists

    # ------------------------------------------------------------------ tasks

    def claim_task(self, task_id: str, actor: str, *, department: str | None = None) -> HumanTask:
        """Make `actor` the assignee; claiming one's own task again is a no-op."""
        with self.uow.transaction() as session:
            human = open_task(session, task_id, department, lock=True)
            if human.assignee == actor:
                return human
            if human.assignee is not None:
                raise TaskClaimedByOther(task_id, human.assignee)
            human.assignee = actor
            append_timeline(session, human.instance_id, "claimed", self.clock.now(),
                            actor=actor, stage=human.stage, department=human.department)
            return human

    def unclaim_task(
        self, task_id: str, actor: str, *, department: str | None = None, force: bool = False
    ) -> HumanTask:
        """Give a claimed task back to its department's inbox."""
        with self.uow.transaction() as session:
            human = open_task(session, task_id, department, lock=True)
            if human.assignee is None:
                return human
            if human.assignee != actor and not force:
                raise TaskClaimedByOther(task_id, human.assignee)
            previous = human.assignee
            human.assignee = None
            append_timeline(session, human.instance_id, "unclaimed", self.clock.now(),
                            actor=actor, stage=human.stage, department=human.department,
                            detail={"previous_assignee": previous})
            return human

    def complete_task(self, task_id: str, data: dict[str, Any], actor: str, *,
                      department: str | None = None,
                      checked: CheckedData | None = None) -> Completion:
        """Complete an open user task with form `data` submitted by `actor`; the task
        and the instance's stages open after it. `checked`: the caller's own
        check_completion of this same data (else it is checked here first)."""
        if checked is None:
            checked = self.check_completion(task_id, data, department=department)
        with self.uow.transaction() as session:
            step = self.complete_task_in(session, task_id, data, actor, department=department,
                                         checked=checked)
            rows = step.open_task_rows()
            return Completion(rows[task_id], sorted(
                (row for row in rows.values() if row.state == "open"),
                key=lambda row: (row.created_at, row.id)))

    def check_completion(self, task_id: str, data: dict[str, Any], *,
                         department: str | None = None) -> CheckedData | None:
        """`data` checked against the task's form (its defaults filled in) in a read-only
        session, before any lock is taken: a designer's schema never runs while the
        write lock is held. None when the task is not there to complete; the locked
        path then says why."""
        with self.uow.reading() as session:
            human = session.get(HumanTask, task_id)
            if human is None or human.state != "open" or (
                    department is not None and human.department != department):
                return None
            return self.check_task_data(session, human, data)

    def check_task_data(self, session: Session, human: HumanTask,
                        data: dict[str, Any]) -> CheckedData:
        """check_completion for a task row the caller has read (in `session`)."""
        schema = self._form_schema(session, human.definition_id, human.form)
        return CheckedData(human.form, human.definition_id,
                           self._checked(human.form, schema, data), human.stage)

    def _form_schema(self, session: Session, definition_id: int,
                     form: str | None) -> dict[str, Any] | None:
        if form is None:
            return None
        return self.pipeline.parsed(session, definition_id).forms.get(form, {})

    def _checked(self, form: str | None, schema: dict[str, Any] | None,
                 data: dict[str, Any]) -> dict[str, Any]:
        if schema is not None:
            data = with_defaults(schema, data)
        check_form_data(form or "form", schema, data, self.directory, self.code_lists)
        return data

    def complete_task_in(self, session: Session, task_id: str, data: dict[str, Any],
                         actor: str, *, department: str | None = None,
                         checked: CheckedData | None = None) -> Step:
        """complete_task inside the caller's unit of work; the step it took. `checked`:
        check_completion's answer, used when the task still has that form (else the
        data is checked here, under the lock)."""
        now = self.clock.now()
        # Lock order everywhere: instance, then task rows. Only once both are held is
        # the task's state and assignee final (a claim may have landed meanwhile).
        step = self.pipeline.load_by_task(session, task_id, now)
        human = step.open_task_rows(lock=True).get(task_id) if step is not None else None
        if step is None or human is None or (department is not None
                                             and human.department != department):
            open_task(session, task_id, department, lock=True)  # why: not found, not open
            raise TaskNotFound(task_id)
        if human.assignee is not None and human.assignee != actor:
            raise TaskClaimedByOther(task_id, human.assignee)
        if checked is not None and (checked.form, checked.definition_id) == (
                human.form, human.definition_id):
            data = checked.data
        else:  # not checked first, or the stage moved to another version meanwhile
            schema = step.parsed.forms.get(human.form, {}) if human.form else None
            data = self._checked(human.form, schema, data)
        if self.pipeline.a_timer_is_due(step):
            self.pipeline.advance(step)  # a limit that passed first is recorded first
        task = step.workflow.get_task_from_id(UUID(task_id))
        if task is None or task.state != TaskState.READY:
            raise TaskNotOpen(task_id, "completed")
        if human.paused_at is not None:  # completing a paused stage ends its pause
            self.pipeline.pausing.resume(step, human, actor=actor, how="completed")
        if human.department_limit is not None:
            # A stage outside its department's total (a return visit has a limit of its
            # own) does not use the total up for the department's later stages.
            held = (now - human.created_at).total_seconds() - human.paused_seconds
            add_department_seconds(step.workflow, task.task_spec.lane, human.department, held)
            if self.pipeline.calendar_of is not None:  # for totals counting working time
                calendar = self.pipeline.calendar_of(human.department)
                worked = calendar.working_between(human.created_at, now).total_seconds()
                add_working_seconds(step.workflow, task.task_spec.lane, human.department,
                                    worked - human.paused_working_seconds)
        reason = data.get(REASON_FIELD)
        step.acting = Acting(actor, human.department, human.stage,
                             reason if isinstance(reason, str) else None)
        task.data.update(copy.deepcopy(data))
        self.pipeline.run(step, task.run)
        human.state = "completed"
        human.completed_at = now
        human.completed_by = actor
        step.record("completed", actor=actor, stage=human.stage,
                    department=human.department, detail={
                        "data": summary(data),
                        "duration_seconds": (now - human.created_at).total_seconds(),
                        "paused_seconds": human.paused_seconds,
                        "limit": human.stage_limit,
                        "due_at": iso(human.due_at),
                        "overdue": human.due_at is not None and now > human.due_at,
                    })
        self.pipeline.advance(step)
        self.pipeline.save(step)
        return step

    # --------------------------------------------------------------- messages

    def deliver_message(self, instance_id: str, name: str, payload: dict[str, Any],
                        actor: str | None = None, *, department: str | None = None,
                        reason: str | None = None) -> None:
        """Deliver message `name` to one running instance, which must be waiting for it
        (or start an event sub-process on it). `department` and `reason` describe the
        sender in the order events the message causes."""
        with self.uow.transaction() as session:
            step = self.lock(session, instance_id)
            self.deliver(step, name, payload, actor, department=department, reason=reason)

    def lock(self, session: Session, instance_id: str) -> Step:
        """Lock and load an instance, with whatever fell due by now recorded first (a
        caller may then check its own rules before changing it)."""
        step = self.pipeline.load(session, instance_id, self.clock.now())
        self.pipeline.advance(step)
        return step

    def deliver(self, step: Step, name: str, payload: dict[str, Any], actor: str | None,
                *, department: str | None = None, reason: str | None = None) -> None:
        """Deliver message `name` to the instance `lock` gave."""
        if step.instance.status != "running" or not waits_for_message(step.workflow, name):
            raise NotWaitingForMessage(step.instance.id, name)
        check_payload(step, name, payload)
        step.acting = Acting(actor or SYSTEM_ACTOR, department, reason=reason)
        event = BpmnEvent(MessageEventDefinition(name), payload=copy.deepcopy(payload))
        self.pipeline.run(step, lambda: step.workflow.send_event(event))
        step.record("message_received", actor=actor,
                    detail={"name": name, "data": summary(payload)})
        self.pipeline.advance(step)
        self.pipeline.save(step)

    def correlate_message(self, name: str, business_key: str, payload: dict[str, Any],
                          actor: str | None = None, *, process_key: str | None = None,
                          started_by: str | None = None) -> str:
        """Deliver message `name` to the one running instance with `business_key` that
        waits for it (optionally only among `process_key` or `started_by`'s instances)."""
        query = select(ProcessInstance).where(
            ProcessInstance.business_key == business_key, ProcessInstance.status == "running"
        )
        if process_key is not None:
            query = query.where(ProcessInstance.definition_key == process_key)
        if started_by is not None:
            query = query.where(ProcessInstance.started_by == started_by)
        with self.uow.reading() as session:
            candidates = list(session.scalars(query))
            waiting = [i.id for i in candidates if self._waits_for(session, i, name)]
        if not waiting:
            raise MessageNotCorrelated(name, business_key)
        if len(waiting) > 1:
            raise AmbiguousCorrelation(name, business_key, len(waiting))
        self.deliver_message(waiting[0], name, payload, actor)
        return waiting[0]

    def _waits_for(self, session: Session, instance: ProcessInstance, name: str) -> bool:
        parsed = self.pipeline.parsed(session, instance.definition_id)
        workflow = restore_workflow(instance.state, parsed.spec, parsed.subprocess_specs)
        return waits_for_message(workflow, name)


def open_task(session: Session, task_id: str, department: str | None, *,
              lock: bool = False) -> HumanTask:
    """The open task `task_id` (of `department`, when given), locked if asked."""
    human = session.get(HumanTask, task_id, with_for_update=lock, populate_existing=lock)
    if human is None or (department is not None and human.department != department):
        raise TaskNotFound(task_id)  # another department's task is not shown to exist
    if human.state != "open":
        raise TaskNotOpen(task_id, human.state)
    return human


def check_payload(step: Step, name: str, payload: dict[str, Any]) -> None:
    """FormValidationError (the payload's fields) unless `payload` satisfies the JSON
    Schema each event about to catch message `name` names (payloadJsonSchemaFilename,
    engine/definitions/payloads.py); nothing is changed either way."""
    for schema_name in sorted({schema for spec in catching_specs(step.workflow, name)
                               if (schema := payload_schema(spec)) is not None}):
        schema = step.parsed.forms.get(schema_name)
        if not isinstance(schema, dict):  # the deploy lint refuses this; never guess
            raise FormValidationError(schema_name, [FieldError(
                "(form)", f"the payload schema {schema_name!r} is not deployed with this "
                          "version; a designer must deploy the diagram again")])
        validate_form_data(schema_name, schema, payload)


def catching_specs(workflow: BpmnWorkflow, name: str) -> list[Any]:
    """The specs of the events that would catch message `name` now: those waiting for
    it, and the start events of event sub-processes it starts."""
    specs = [task.task_spec for task in workflow.event_manager.tasks.values()
             if _catches(task.task_spec, name)]
    for spec_name in getattr(workflow.spec.start, "trigger_specs", ()):
        spec = workflow.subprocess_specs.get(spec_name)
        specs.extend(start for start in (getattr(spec, "bpmn_start_events", ()) if spec else ())
                     if _catches(start, name))
    return specs


def _catches(task_spec: Any, name: str) -> bool:
    definition = getattr(task_spec, "event_definition", None)
    return isinstance(definition, MessageEventDefinition) and definition.name == name


def waits_for_message(workflow: BpmnWorkflow, name: str) -> bool:
    """Whether a catch event waits for message `name`, or an event sub-process starts
    on it (those can be triggered again and again, e.g. by urges)."""
    if any(event.name == name and event.event_type == MessageEventDefinition.__name__
           for event in workflow.waiting_events()):
        return True
    for spec_name in getattr(workflow.spec.start, "trigger_specs", ()):
        spec = workflow.subprocess_specs.get(spec_name)
        for start in getattr(spec, "bpmn_start_events", ()) if spec else ():
            definition = getattr(start, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                return True
    return False
