"""Moving a running instance onto a newer version of its process.

SpiffWorkflow aligns the old and new task specs by element id (`diff_workflow`) and
re-points the instance (`migrate_workflow`). Two things are ours: refusing a move
that would drop an open stage, and keeping the due times of waiting timers (Spiff
restarts them from "now", which would quietly extend every running limit).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions.bpmn import ParsedProcess
from engine.runtime.serialization import spec_registry


@dataclass
class MigrationPlan:
    mapped_tasks: list[str] = field(default_factory=list)  # open stages that carry over
    dropped_tasks: list[str] = field(default_factory=list)  # open tasks with no new spec
    refusals: list[str] = field(default_factory=list)
    diffs: Any = None  # (top-level diff, {sub-process id: diff}) when it can proceed

    @property
    def possible(self) -> bool:
        return not self.refusals


def plan_migration(workflow: BpmnWorkflow, target: ParsedProcess) -> MigrationPlan:
    """What moving `workflow` onto `target` would do, and why it may not."""
    plan = MigrationPlan()
    top_diff, sub_diffs = diff_workflow(spec_registry(), workflow, target.spec,
                                        target.subprocess_specs)
    removed = list(top_diff.removed)
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None:
            if not sub.completed:
                plan.refusals.append(
                    f"sub-process {sub.spec.name!r} does not exist in the new version")
            continue
        removed.extend(sub_diff.removed)
    removed_ids = {task.id for task in removed}
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        name = task.task_spec.bpmn_id
        if name is None:
            continue
        if task.id in removed_ids:
            # Spiff would leave such a task pointing at the old spec, and the saved state
            # could not be loaded again: refuse rather than drop anything in flight.
            plan.dropped_tasks.append(name)
            what = "open stage" if isinstance(task.task_spec, UserTask) else "waiting event"
            plan.refusals.append(f"{what} {name!r} does not exist in the new version")
        elif isinstance(task.task_spec, UserTask) and task.state == TaskState.READY:
            plan.mapped_tasks.append(name)
    if plan.possible:
        plan.diffs = (top_diff, sub_diffs)
    return plan


def apply_migration(workflow: BpmnWorkflow, target: ParsedProcess, plan: MigrationPlan) -> None:
    """Re-point `workflow` onto `target`, keeping every waiting timer's due time."""
    top_diff, sub_diffs = plan.diffs
    due_times = {
        task.id: dict(task.internal_data)
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if "event_value" in task.internal_data
    }
    migrate_workflow(top_diff, workflow, target.spec)
    for sub_id, sub_diff in sub_diffs.items():
        if sub_diff is not None:
            sub = workflow.subprocesses[sub_id]
            migrate_workflow(sub_diff, sub, target.subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = target.subprocess_specs
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.id in due_times:
            task.internal_data.update(due_times[task.id])
