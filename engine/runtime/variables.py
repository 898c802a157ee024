"""Setting variables on a running instance from outside its diagram (an application
learns something about it that its gateways and tables should read from now on)."""
from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.runtime.step import Step


def set_variables(step: Step, values: dict[str, Any]) -> None:
    """Every task of the locked instance that has not run yet carries `values` (the
    tasks after them inherit them); the caller saves the step."""
    for task in step.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        task.data.update(copy.deepcopy(values))
