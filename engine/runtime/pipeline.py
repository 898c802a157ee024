"""The step pipeline: what happens to an instance inside one unit of work.

`load` locks the instance row and restores its workflow onto the shared spec; `advance`
fires what is due and brings every record in line, in the order written out in it;
`save` writes the state back. Commands (start, complete, deliver a message, fire timers,
migrate) are a load, their own change, an advance and a save.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import FixedClock, spiff_time
from engine.definitions.bpmn import ParsedProcess
from engine.definitions.versions import SpecCache
from engine.errors import InstanceFailed, InstanceNotFound
from engine.reference.directory import Directory
from engine.runtime.deadline import DEADLINE, Deadline, is_deadline_row
from engine.runtime.flow_decisions import FlowDecisions
from engine.runtime.history import prune_finished_history
from engine.runtime.holding import Holding, HoldRule
from engine.runtime.ladder import RUNG, Ladder
from engine.runtime.pausing import RESUME, Pausing
from engine.runtime.records import process_variables, record_end, sync_human_tasks, sync_timers
from engine.runtime.sandbox import RestrictedScriptEngine
from engine.runtime.serialization import dump_workflow, restore_workflow
from engine.runtime.step import Step
from engine.runtime.thrown_events import record_thrown_events
from engine.runtime.working_limits import CalendarOf
from engine.store.models import HumanTask, ProcessDefinition, ProcessInstance


class Pipeline:
    """Loads, advances and saves instances on the shared, cached specs."""

    def __init__(self, specs: SpecCache, directory: Directory | None,
                 calendar_of: CalendarOf | None = None,
                 hold_rule: HoldRule | None = None) -> None:
        self.specs = specs
        self.script_engine = RestrictedScriptEngine(calendar_of)
        self.calendar_of = calendar_of
        self.ladder = Ladder(specs, directory, calendar_of, Holding(hold_rule, calendar_of))
        self.pausing = Pausing(calendar_of)
        self.deadline = Deadline(self.ladder, directory)
        self.decisions = FlowDecisions(specs)

    def load(self, session: Session, instance_id: str, now: datetime) -> Step:
        """Lock the instance row and restore its workflow."""
        instance = session.get(ProcessInstance, instance_id, with_for_update=True)
        if instance is None:
            raise InstanceNotFound(instance_id)
        return self._restored(session, instance, now)

    def _restored(self, session: Session, instance: ProcessInstance, now: datetime) -> Step:
        if not instance.state:  # archived (workorders/retention.py): nothing can run
            raise InstanceFailed(f"instance {instance.id} is archived")
        parsed = self.parsed(session, instance.definition_id)
        workflow = restore_workflow(instance.state, parsed.spec, parsed.subprocess_specs)
        # The script engine is not serialized: attach the restricted one on every load.
        workflow.script_engine = self.script_engine
        return Step(session, instance, workflow, parsed, now)

    def load_by_task(self, session: Session, task_id: str, now: datetime) -> Step | None:
        """Lock and restore the instance task `task_id` belongs to (None: no such task)."""
        owner = select(HumanTask.instance_id).where(HumanTask.id == task_id).scalar_subquery()
        instance = session.scalars(select(ProcessInstance).where(ProcessInstance.id == owner)
                                   .with_for_update()).first()
        return self._restored(session, instance, now) if instance is not None else None

    def parsed(self, session: Session, definition_id: int) -> ParsedProcess:
        """A version's parsed spec; its row (with the large serialized spec) is read only
        the first time this process needs that version."""
        parsed = self.specs.cached(definition_id)
        if parsed is None:
            definition = session.get(ProcessDefinition, definition_id)
            if definition is None:  # instances reference their version by foreign key
                raise InstanceFailed(f"process definition {definition_id} does not exist")
            parsed = self.specs.get(definition)
        return parsed

    def advance(self, step: Step) -> None:
        """Fire timers due by now, run automatic steps, and bring the records in line."""

        if any(row.kind == RESUME and row.due_at < step.now
               for row in step.pending_timer_rows()):
            self.pausing.resume_due(step, step.timer_actor)  # before the timers it moves

        def run_engine() -> None:
            step.workflow.refresh_timers()
            step.workflow.do_engine_steps(did_complete_task=step.note_completed)

        self.run(step, run_engine)
        step.observe()  # the one walk of the task tree the records below read
        sync_human_tasks(step)
        pending = step.pending_timer_rows()
        sync_timers(step, [row for row in pending if row.kind not in (RUNG, RESUME, DEADLINE)])
        record_thrown_events(step)
        self.ladder.sync(step, [row for row in pending
                                if row.kind == RUNG and not is_deadline_row(row)])
        self.deadline.sync(step, [row for row in pending if is_deadline_row(row)])
        record_end(step)

    def run(self, step: Step, action: Callable[[], object]) -> None:
        """Run `action` on the workflow at the step's moment; a failure of the diagram
        is InstanceFailed."""
        with spiff_time(FixedClock(step.now)), \
                self.decisions.available(step.session, step.instance):
            try:
                action()
            except SpiffWorkflowException as err:
                raise InstanceFailed(f"instance {step.instance.id}: {err}") from err

    def save(self, step: Step) -> None:
        instance = step.instance
        prune_finished_history(step.workflow)  # the timeline keeps the history
        instance.state = dump_workflow(step.workflow)
        instance.variables = process_variables(step)
        instance.updated_at = step.now
        step.write_timeline()
        step.session.flush()

    def a_timer_is_due(self, step: Step) -> bool:
        """Whether a limit or a ladder rung of the instance has passed by now."""
        return any(row.due_at < step.now for row in step.pending_timer_rows())
