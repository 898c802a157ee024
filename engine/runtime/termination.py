"""Ending a running instance before its flow does: every open task, timer and ladder rung
is cancelled, the instance gets the status its caller names, and the timeline says who
ended it and why. Runs on a step the caller locked (and advanced, so that whatever fell
due before is recorded first), inside the caller's unit of work."""
from __future__ import annotations

from typing import Any

from engine.errors import Conflict
from engine.runtime.pipeline import Pipeline
from engine.runtime.step import Step


class NotRunning(Conflict):
    def __init__(self, instance_id: str, status: str) -> None:
        super().__init__(f"instance {instance_id!r} is already {status}")


def terminate(pipeline: Pipeline, step: Step, *, status: str, event: str,
              actor: str | None, department: str | None,
              detail: dict[str, Any] | None = None) -> None:
    """End the instance of `step` with `status`, recording `event` on its timeline."""
    instance = step.instance
    if instance.status != "running":
        raise NotRunning(instance.id, instance.status)
    pipeline.run(step, step.workflow.cancel)
    for row in step.open_task_rows(lock=True).values():
        if row.state == "open":
            row.state = "cancelled"
            step.record("task_cancelled", stage=row.stage, department=row.department,
                        detail={"because": event})
    for timer in step.pending_timer_rows():
        timer.state, timer.lease_owner, timer.lease_expires_at = "cancelled", None, None
    instance.status = status
    instance.ended_at = step.now
    step.record(event, actor=actor, department=department, detail=detail or {})
    step.publish(event, department=department, status=status, **(detail or {}))
    pipeline.save(step)
