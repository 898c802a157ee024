"""Keeping an instance's state the size of what it is doing now, not of its history.

SpiffWorkflow keeps every task it ever ran: each loop (a transfer, a send-back, an
audit rejection) adds its finished tasks below the previous ones, each urge leaves a
finished sub-workflow, and restoring, walking and saving the state grow with them. The
history is on the timeline; the state needs only what can still run.

What can still run is the set of unfinished tasks. Below their lowest common ancestor
lie the current stage, its boundary events and every split a pending join will look
for; above it lies finished history. The cut is made at the nearest finished stage (a
completed user task) at or above that ancestor, so that every split of the current
stage stays in the tree. That stage becomes the root's child; the chain above it, its
finished side branches, and the root's finished event sub-processes go.
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


def prune_finished_history(workflow: BpmnWorkflow) -> int:
    """Drop the finished history above the current stage and the finished event
    sub-processes; the number of tasks dropped (0 when nothing can go)."""
    root = workflow.task_tree
    unfinished = [t for t in workflow.tasks.values()
                  if not t.has_state(TaskState.FINISHED_MASK) and t is not root]
    if not unfinished:
        return 0  # the workflow is done: its end is its record
    # Event sub-processes hang from the root; those still running stay as they are.
    running_triggered = [c for c in root.children
                         if c.triggered and not _finished_subtree(c)]
    main_flow = _main_flow_to_keep(root, unfinished, running_triggered)
    keep = {root.id}
    for child in (*main_flow, *running_triggered):
        keep |= _subtree_ids(child)
    if len(keep) == len(workflow.tasks) or any(t.id not in keep for t in unfinished):
        return 0  # nothing to drop, or something unfinished would go: leave it whole
    dropped = [task_id for task_id in workflow.tasks if task_id not in keep]
    for task_id in dropped:
        del workflow.tasks[task_id]
        workflow.subprocesses.pop(task_id, None)
    for child in main_flow:
        child.parent = root
    root.children = [*main_flow, *running_triggered]
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = main_flow[0] if main_flow else None
    return len(dropped)


def _main_flow_to_keep(root: Task, unfinished: list[Task],
                       running_triggered: list[Task]) -> list[Task]:
    """What of the process's own flow stays: from the nearest finished stage at or
    above what is still to run, or all of it when there is no such stage yet."""
    in_main_flow = [t for t in unfinished
                    if not any(_is_below(t, c) for c in running_triggered)]
    main_children = [c for c in root.children if not c.triggered]
    if not in_main_flow:
        return main_children
    cut = _nearest_finished_stage(_common_ancestor(in_main_flow), root)
    return [cut] if cut is not None else main_children


def _finished_subtree(task: Task) -> bool:
    return all(t.has_state(TaskState.FINISHED_MASK) for t in _walk(task))


def _is_below(task: Task, ancestor: Task) -> bool:
    while task is not None:
        if task is ancestor:
            return True
        task = task.parent
    return False


def _common_ancestor(tasks: list[Task]) -> Task:
    """The lowest task every one of `tasks` is at or below."""
    common = _path_from_root(tasks[0])
    for task in tasks[1:]:
        path = _path_from_root(task)
        shared = 0
        while shared < min(len(common), len(path)) and common[shared] is path[shared]:
            shared += 1
        common = common[:shared]
    return common[-1]


def _nearest_finished_stage(task: Task, root: Task) -> Task | None:
    """`task` or its nearest ancestor below the root that is a completed user task."""
    while task is not None and task is not root:
        if task.task_spec.manual and task.state == TaskState.COMPLETED:
            return task
        task = task.parent
    return None


def _path_from_root(task: Task) -> list[Task]:
    path = []
    while task is not None:
        path.append(task)
        task = task.parent
    return path[::-1]


def _subtree_ids(task: Task) -> set[UUID]:
    return {t.id for t in _walk(task)}


def _walk(task: Task):
    stack = [task]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
