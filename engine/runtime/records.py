"""The records a step keeps in line with the workflow: the human-task rows (the inbox),
the limit-timer rows (what the workers fire), and the instance's end."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.runtime.limits import WaitingTimer
from engine.runtime.sandbox import department_of
from engine.runtime.serialization import to_json_safe
from engine.runtime.step import Step, iso
from engine.runtime.working_limits import WORKING
from engine.store.models import HumanTask, Timer


def sync_human_tasks(step: Step) -> None:
    """Open a row for each stage that opened, close the rows of stages that went."""
    instance = step.instance
    stages = {str(stage.task.id): stage for stage in step.stages}
    limits = step.limit_timers()
    known = {row_id: row for row_id, row in step.open_task_rows().items()
             if row.state == "open"}
    for task_id, row in known.items():
        gone = task_id not in stages
        if gone and _task_state(step.workflow, task_id) != TaskState.COMPLETED:
            row.state = "cancelled"
            step.record("task_cancelled", stage=row.stage, department=row.department)
    for task_id, stage in stages.items():
        timer = limits.get((task_id, "stage"))
        department_timer = limits.get((task_id, "department"))
        still_open = known.get(task_id)
        if still_open is not None:  # its stage may have moved to a new version
            still_open.department = stage.department
            still_open.definition_id = instance.definition_id
            still_open.stage_name, still_open.form = stage.stage_name, stage.form
            still_open.lane, still_open.instructions = stage.lane, stage.instructions
            continue
        limit = timer.limit if timer else None
        row = HumanTask(
            id=task_id, instance_id=instance.id, definition_id=instance.definition_id,
            definition_key=instance.definition_key,
            business_key=instance.business_key, stage=stage.stage,
            stage_name=stage.stage_name, lane=stage.lane, department=stage.department,
            form=stage.form, instructions=stage.instructions, stage_limit=limit,
            department_limit=department_timer.limit if department_timer else None,
            stage_clock=_clock(timer), department_clock=_clock(department_timer),
            state="open", created_at=step.now, due_at=timer.due_at if timer else None,
        )
        step.add_task_row(row)
        step.opened.append(row)
        opened = {"form": stage.form, "limit": limit,
                  "due_at": iso(timer.due_at) if timer else None,
                  "department_limit": row.department_limit}
        step.record("task_ready", stage=stage.stage, department=stage.department,
                    detail=opened)
        step.publish("stage_opened", stage=stage.stage, department=stage.department,
                     stage_name=stage.stage_name, lane=stage.lane, task_id=task_id,
                     **opened)


def _clock(timer: WaitingTimer | None) -> str | None:
    return WORKING if timer is not None and timer.clock == WORKING else None


def sync_timers(step: Step, rows: list[Timer]) -> None:
    """Bring the pending limit-timer `rows` in line with the workflow's timers."""
    instance = step.instance
    waiting = {str(timer.task.id): timer for timer in step.timers}
    pending = {row.id: row for row in rows}
    for timer_id, row in pending.items():
        timer = waiting.get(timer_id)
        if timer is not None and timer.stage_task is not None:  # may have moved lanes
            row.lane = timer.stage_task.task_spec.lane
            row.department = department_of(timer.stage_task)
        if timer is not None and timer.due_at == row.due_at:
            continue  # still waiting for the same moment
        fired = timer is not None or _timer_fired(step.workflow, timer_id)
        if fired:
            step.timers_fired += 1
            step.record("timer_fired", actor=step.timer_actor,
                        stage=row.stage, department=row.department,
                        detail={"timer": row.element_id, "kind": row.kind,
                                "due_at": iso(row.due_at)})
        if timer is not None:  # a cycle timer fired and now waits for its next turn
            row.due_at = timer.due_at
        else:
            row.state = "fired" if fired else "cancelled"
            row.fired_at = step.now if fired else None
        row.lease_owner = row.lease_expires_at = None
    for timer_id, timer in waiting.items():
        if timer_id in pending:
            continue
        stage_task = timer.stage_task
        step.add_timer_row(Timer(
            id=timer_id, instance_id=instance.id, kind=timer.kind,
            element_id=timer.element_id,
            task_id=str(stage_task.id) if stage_task else None,
            stage=stage_task.task_spec.bpmn_id if stage_task else None,
            lane=stage_task.task_spec.lane if stage_task else None,
            department=department_of(stage_task) if stage_task else None,
            due_at=timer.due_at, applied_limit=timer.limit, state="pending",
        ))


def record_end(step: Step) -> None:
    """Mark the instance ended once its workflow has completed."""
    instance = step.instance
    if instance.status == "running" and step.workflow.is_completed():
        instance.status = "completed"
        instance.ended_at = step.now
        held = (step.now - instance.started_at).total_seconds()
        step.record("ended", detail={"duration_seconds": held})
        step.publish("instance_ended")


def _timer_fired(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Whether a timer task that stopped waiting did so by firing (not by cancellation).
    A cycle timer's last firing leaves it READY, flagged, rather than COMPLETED."""
    task = workflow.get_task_from_id(UUID(task_id))
    return task is not None and (
        task.state == TaskState.COMPLETED or bool(task.internal_data.get("event_fired"))
    )


def _task_state(workflow: BpmnWorkflow, task_id: str) -> TaskState | None:
    task = workflow.get_task_from_id(UUID(task_id))
    return task.state if task is not None else None


def process_variables(step: Step) -> dict[str, Any]:
    """The instance's current data: what its open stages see, or its final data (read
    from the stages the step last observed: no walk of the tree of its own)."""
    workflow = step.workflow
    ready = [stage.task for stage in step.stages]
    merged: dict[str, Any] = {}
    for task in ready or ([workflow.last_task] if workflow.last_task else []):
        merged.update(task.data)
    return to_json_safe(merged)
