"""Checks that an instance's query tables and timeline agree with its workflow state."""
from __future__ import annotations

from collections import Counter
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import ProcessEngine
from engine.runtime.deadline import is_deadline_row
from engine.runtime.limits import open_stages, waiting_timers
from engine.runtime.serialization import restore_workflow
from engine.store.models import HumanTask, ProcessDefinition, TimelineEvent, Timer


def assert_consistent(engine: ProcessEngine, instance_id: str) -> None:
    with engine.reading() as session:
        instance = engine.reads.get_instance(instance_id)
        parsed = engine.specs.get(session.get(ProcessDefinition, instance.definition_id))
        humans = list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id)))
        timers = list(session.scalars(select(Timer).where(Timer.instance_id == instance_id)))
        events = list(session.scalars(select(TimelineEvent).where(
            TimelineEvent.instance_id == instance_id).order_by(TimelineEvent.id)))
    workflow = restore_workflow(instance.state, parsed.spec, parsed.subprocess_specs)
    where = f"instance {instance_id}"

    # Open stages in the inbox are exactly the workflow's ready user tasks.
    ready = {str(stage.task.id) for stage in open_stages(workflow)}
    assert {h.id for h in humans if h.state == "open"} == ready, where
    # Pending timer rows are exactly the waiting timers, due when the workflow says.
    waiting = {str(t.task.id): t.due_at for t in waiting_timers(workflow)}
    rungs = [t for t in timers if t.kind == "rung"]
    # The order deadline and its rungs belong to no stage (engine/runtime/deadline.py).
    stage_timers = [t for t in timers if not is_deadline_row(t)]
    assert {t.id: t.due_at for t in stage_timers
            if t.state == "pending" and t.kind != "rung"} == waiting, where
    # Ladder rungs wait only on open stages, and each fired at most once for its stage.
    assert {t.task_id for t in rungs if t.state == "pending" and t.task_id} <= ready, where
    rung_firings = Counter((e.stage, e.detail["rung"], e.detail["limit_kind"], e.detail["due_at"])
                           for e in events if e.type == "escalated")
    assert all(count == 1 for count in rung_firings.values()), (where, rung_firings)
    assert sum(rung_firings.values()) == sum(1 for t in rungs if t.state == "fired"), where
    # Each stage completed once, and recorded once. A completed stage is either still
    # in the workflow as completed, or its history was pruned (runtime/history.py).
    completed = [h for h in humans if h.state == "completed"]
    for human in completed:
        task = _task_or_none(workflow, human.id)
        assert task is None or task.state == TaskState.COMPLETED, where
    completions = Counter(e.stage for e in events if e.type == "completed")
    assert completions == Counter(h.stage for h in completed), where
    # Each fired timer has exactly one firing on the timeline.
    fired = Counter((e.detail["timer"], e.detail["due_at"]) for e in events
                    if e.type == "timer_fired")
    assert all(count == 1 for count in fired.values()), (where, fired)
    assert sum(fired.values()) >= sum(1 for t in stage_timers
                                      if t.state == "fired" and t.kind != "rung"), where
    # The timeline opens with the start and ends with the end, nothing after it.
    assert events[0].type == "started", where
    ended = [i for i, e in enumerate(events) if e.type == "ended"]
    assert ended == ([len(events) - 1] if instance.status == "completed" else []), where
    assert (instance.status == "completed") == workflow.is_completed(), where


def _task_or_none(workflow, task_id: str):
    try:
        return workflow.get_task_from_id(UUID(task_id))
    except TaskNotFoundException:
        return None
