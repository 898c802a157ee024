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
from sqlalchemy import select

from engine.clock import Clock
from engine.definitions.bpmn import ParsedProcess
from engine.definitions.versions import find_definition
from engine.errors import Conflict, InstanceFailed
from engine.runtime.pipeline import Pipeline
from engine.runtime.serialization import restore_workflow, spec_registry
from engine.store.models import ProcessDefinition, ProcessInstance
from engine.store.unit_of_work import UnitsOfWork


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


class Migrator:
    """Moves running instances onto a newer version, each in its own unit of work."""

    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline, clock: Clock) -> None:
        self.uow = uow
        self.pipeline = pipeline
        self.clock = clock

    def migrate(
        self,
        key: str,
        *,
        to_version: int | None = None,
        instance_ids: list[str] | None = None,
        from_version: int | None = None,
        dry_run: bool = False,
        actor: str | None = None,
    ) -> list[dict[str, Any]]:
        """Move running instances of `key` onto `to_version` (default: the newest).

        Choose the instances by id or by the version they run on. Each moves in its own
        transaction; one that cannot move (an open stage would be dropped, ...) is
        reported with the reasons and left as it was. A dry run only reports.
        """
        with self.uow.reading() as session:
            target_definition = find_definition(session, key, to_version)
            query = select(ProcessInstance.id).where(ProcessInstance.definition_key == key)
            if instance_ids is not None:
                query = query.where(ProcessInstance.id.in_(instance_ids))
            if from_version is not None:
                query = query.where(ProcessInstance.definition_version == from_version)
            chosen = list(session.scalars(query.order_by(ProcessInstance.started_at)))
        missing = sorted(set(instance_ids or []) - set(chosen))
        reports = [{"instance_id": i, "migrated": False, "refusals": [
            f"no instance of {key!r} with this id"]} for i in missing]
        for instance_id in chosen:
            try:
                reports.append(self._migrate_one(instance_id, target_definition, dry_run,
                                                 actor))
            except (InstanceFailed, Conflict) as err:  # this one stays as it was
                reports.append({"instance_id": instance_id, "migrated": False,
                                "to_version": target_definition.version,
                                "mapped_tasks": [], "dropped_tasks": [],
                                "refusals": [f"could not be moved: {err}"]})
        return reports

    def _migrate_one(self, instance_id: str, target_definition: ProcessDefinition,
                     dry_run: bool, actor: str | None) -> dict[str, Any]:
        now = self.clock.now()
        with self.uow.transaction() as session:
            step = self.pipeline.load(session, instance_id, now)
            report: dict[str, Any] = {
                "instance_id": instance_id, "from_version": step.instance.definition_version,
                "to_version": target_definition.version, "migrated": False,
                "mapped_tasks": [], "dropped_tasks": [], "refusals": []}
            if step.instance.status != "running":
                report["refusals"].append(f"the instance is {step.instance.status}")
                return report
            if target_definition.version <= step.instance.definition_version:
                report["refusals"].append(
                    f"already on version {step.instance.definition_version}")
                return report
            self.pipeline.advance(step)  # limits that passed before the move are recorded first
            target = self.pipeline.specs.get(target_definition)
            plan = plan_migration(step.workflow, target)
            report.update(mapped_tasks=plan.mapped_tasks, dropped_tasks=plan.dropped_tasks,
                          refusals=plan.refusals)
            if dry_run or not plan.possible:
                session.rollback()
                return report
            self.pipeline.run(step, lambda: apply_migration(step.workflow, target, plan))
            step.parsed = target
            step.instance.definition_id = target_definition.id
            step.instance.definition_version = target_definition.version
            step.record("migrated", actor=actor, detail={
                "from_version": report["from_version"], "to_version": report["to_version"],
                "mapped_tasks": plan.mapped_tasks, "dropped_tasks": plan.dropped_tasks})
            self.pipeline.advance(step)
            self.pipeline.save(step)
            try:  # the state we are about to commit must load again
                restore_workflow(step.instance.state, target.spec, target.subprocess_specs)
            except Exception as err:
                raise InstanceFailed(f"the migrated state would not load: {err}") from err
            report["migrated"] = True
            return report
