"""Repair of instances started from a spec an earlier run had changed.

Before shared_specs, triggering an event sub-process connected the start task of the
shared spec to it, so every instance started afterwards in that process carries an
event sub-process task it was never sent an event for: it waits for a message at its
start event forever, and the end join waits for it. Such a task is recognisable: it
hangs from the root's start task like a triggered one, but was never triggered.
Cancelling it is what should have happened: a later event triggers a fresh one.
"""
from __future__ import annotations

from functools import partial
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.clock import Clock
from engine.runtime.pipeline import Pipeline
from engine.store.models import ProcessInstance
from engine.store.unit_of_work import UnitsOfWork


def untriggered_event_subprocesses(workflow: BpmnWorkflow) -> list[Task]:
    """Unfinished event sub-process tasks of the top-level process that no event
    triggered (the leftovers of a changed spec)."""
    triggers = set(getattr(workflow.spec.start, "trigger_specs", ()))
    if not triggers:
        return []
    # The tree's root is the start task; triggered or not, the handlers hang from it.
    return [child for child in workflow.task_tree.children
            if child.task_spec.name in triggers and not child.triggered
            and not child.has_state(TaskState.FINISHED_MASK)]


def cancel_untriggered(workflow: BpmnWorkflow) -> list[str]:
    """Cancel those tasks; the names of their specs, one per task cancelled."""
    cancelled = []
    for task in untriggered_event_subprocesses(workflow):
        task.cancel()
        cancelled.append(task.task_spec.name)
    return cancelled


def recheck_waiting(workflow: BpmnWorkflow) -> None:
    """Let the top-level tasks that wait (the end join above all) check again whether
    they may go on, now that the tasks they waited for are cancelled."""
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.workflow is not workflow:
            continue
        task.task_spec._update(task)


class Repairs:
    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline, clock: Clock) -> None:
        self.uow = uow
        self.pipeline = pipeline
        self.clock = clock

    def repair_untriggered_event_subprocesses(
        self, *, dry_run: bool = False, actor: str = "repair"
    ) -> list[dict[str, Any]]:
        """Cancel, in every running instance, the event sub-process tasks no event
        triggered (left by a spec an earlier run changed; see repair.py), then let each
        instance go on: one that only waited for them ends. One report per instance
        changed (or, in a dry run, that would change); each in its own transaction."""
        with self.uow.reading() as session:
            running = list(session.scalars(
                select(ProcessInstance.id).where(ProcessInstance.status == "running")
                .order_by(ProcessInstance.started_at, ProcessInstance.id)))
        reports = []
        for instance_id in running:
            with self.uow.transaction() as session:
                step = self.pipeline.load(session, instance_id, self.clock.now())
                cancelled = cancel_untriggered(step.workflow)
                if not cancelled:
                    continue
                instance = step.instance
                report = {"instance_id": instance_id, "business_key": instance.business_key,
                          "definition": f"{instance.definition_key} v"
                                        f"{instance.definition_version}",
                          "cancelled": cancelled, "ended": False}
                reports.append(report)
                if dry_run:
                    session.rollback()
                    continue
                step.record("repaired", actor=actor, detail={
                    "cancelled": cancelled,
                    "reason": "event sub-process predicted from a changed spec"})
                # The end join waited for the cancelled tasks: let it look again.
                self.pipeline.run(step, partial(recheck_waiting, step.workflow))
                self.pipeline.advance(step)
                self.pipeline.save(step)
                report["ended"] = instance.status == "completed"
        return reports
