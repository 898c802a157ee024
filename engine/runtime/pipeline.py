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
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.clock import FixedClock, spiff_time
from engine.definitions.bpmn import ParsedProcess
from engine.definitions.versions import SpecCache
from engine.errors import InstanceFailed, InstanceNotFound
from engine.reference.directory import Directory
from engine.runtime.history import prune_finished_history
from engine.runtime.ladder import RUNG, Ladder
from engine.runtime.limits import waiting_timers
from engine.runtime.records import process_variables, record_end, sync_human_tasks, sync_timers
from engine.runtime.sandbox import RestrictedScriptEngine
from engine.runtime.serialization import dump_workflow, restore_workflow
from engine.runtime.step import Step
from engine.runtime.thrown_events import record_thrown_events
from engine.store.models import ProcessDefinition, ProcessInstance, Timer


class Pipeline:
    """Loads, advances and saves instances on the shared, cached specs."""

    def __init__(self, specs: SpecCache, directory: Directory | None) -> None:
        self.specs = specs
        self.script_engine = RestrictedScriptEngine()
        self.ladder = Ladder(specs, directory)

    def load(self, session: Session, instance_id: str, now: datetime) -> Step:
        """Lock the instance row and restore its workflow."""
        instance = session.get(ProcessInstance, instance_id, with_for_update=True)
        if instance is None:
            raise InstanceNotFound(instance_id)
        parsed = self.parsed(session, instance.definition_id)
        workflow = restore_workflow(instance.state, parsed.spec, parsed.subprocess_specs)
        # The script engine is not serialized: attach the restricted one on every load.
        workflow.script_engine = self.script_engine
        return Step(session, instance, workflow, parsed, now)

    def parsed(self, session: Session, definition_id: int) -> ParsedProcess:
        """A version's parsed spec; its row (with the large serialized spec) is read only
        the first time this process needs that version."""
        parsed = self.specs.cached(definition_id)
        if parsed is None:
            parsed = self.specs.get(session.get(ProcessDefinition, definition_id))
        return parsed

    def advance(self, step: Step) -> None:
        """Fire timers due by now, run automatic steps, and bring the records in line."""

        def run_engine() -> None:
            step.workflow.refresh_timers()
            step.workflow.do_engine_steps(did_complete_task=step.note_completed)

        self.run(step, run_engine)
        step.observe()  # the one walk of the task tree the records below read
        sync_human_tasks(step)
        pending = list(step.session.scalars(select(Timer).where(
            Timer.instance_id == step.instance.id, Timer.state == "pending",
        ).order_by(Timer.due_at, Timer.id)))
        sync_timers(step, [row for row in pending if row.kind != RUNG])
        record_thrown_events(step)
        self.ladder.sync(step, [row for row in pending if row.kind == RUNG])
        record_end(step)

    def run(self, step: Step, action: Callable[[], object]) -> None:
        """Run `action` on the workflow at the step's moment; a failure of the diagram
        is InstanceFailed."""
        with spiff_time(FixedClock(step.now)):
            try:
                action()
            except SpiffWorkflowException as err:
                raise InstanceFailed(f"instance {step.instance.id}: {err}") from err

    def save(self, step: Step) -> None:
        instance = step.instance
        prune_finished_history(step.workflow)  # the timeline keeps the history
        instance.state = dump_workflow(step.workflow)
        instance.variables = process_variables(step.workflow)
        instance.updated_at = step.now
        step.session.flush()

    def a_timer_is_due(self, step: Step) -> bool:
        """Whether a limit or a ladder rung of the instance has passed by now."""
        if any(timer.due_at < step.now for timer in waiting_timers(step.workflow)):
            return True
        return step.session.scalar(select(exists().where(
            Timer.instance_id == step.instance.id, Timer.state == "pending",
            Timer.kind == RUNG, Timer.due_at < step.now))) or False
