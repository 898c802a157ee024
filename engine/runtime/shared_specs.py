"""Parsed specs shared by every instance of a version, made safe to share.

SpiffWorkflow 3.2 changes a process spec while running one workflow: the first time an
event sub-process (the urge handler) is triggered, `BpmnStartTask.trigger_wf` connects
the start task to the sub-process for good. Every workflow built afterwards from that
spec then predicts a sub-process task that waits forever, and never ends. Here the start
task triggers without connecting itself to the sub-process. The links a triggered
sub-process does need are made once, when the spec is restored, before any workflow
sees it: the start task as its input (a task spec with no input refuses to run) and the
end join as its output (so that its completion reaches the end of the process). The
start task's outputs stay as parsed, so new workflows predict only the normal flow.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.util.task import TaskState


class SharedStartTask(BpmnStartTask):
    """A start task that triggers event sub-processes without changing its spec."""

    def trigger_wf(self, my_task, spec_name):
        spec = self._wf_spec.task_specs[spec_name]
        child = my_task._add_child(spec, TaskState.FUTURE)
        child.triggered = True
        child.task_spec._update(child)
        return child.id


def prepare_for_sharing(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Link each event sub-process of every process spec to its start task (as an
    input only) and its end join, once: what `trigger_wf` would otherwise do on the
    first trigger, to a shared spec, start task outputs included."""
    for process in (spec, *subprocess_specs.values()):
        start = getattr(process, "start", None)
        if start is None:  # nothing to trigger from
            continue
        for name in getattr(start, "trigger_specs", ()):
            triggered = process.task_specs.get(name)
            if triggered is None:
                continue
            if start.name not in triggered._inputs:
                triggered._connect_notify(start)
            if process.end.name not in triggered._outputs:
                triggered.connect(process.end)
