"""Repair of instances started from a spec an earlier run had changed.

Before shared_specs, triggering an event sub-process connected the start task of the
shared spec to it, so every instance started afterwards in that process carries an
event sub-process task it was never sent an event for: it waits for a message at its
start event forever, and the end join waits for it. Such a task is recognisable: it
hangs from the root's start task like a triggered one, but was never triggered.
Cancelling it is what should have happened: a later event triggers a fresh one.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


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
