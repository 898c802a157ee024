"""The same relay diagram run by SpiffWorkflow alone, in memory: the ceiling."""
from __future__ import annotations

import time

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import parse_source
from engine.deployments import collect_sources, files_in
from engine.expressions import RestrictedScriptEngine

from .common import FORM_DATA, ROOT, SERVICE_LEVEL, SUBMISSION


def run(*, orders: int) -> dict:
    sources = collect_sources(files_in(ROOT / "processes", ROOT / "forms")).processes
    [source] = [s for s in sources if s.key == "two_department_relay"]
    parsed = parse_source(source)
    script_engine = RestrictedScriptEngine()
    data = {key: value for form in FORM_DATA.values() for key, value in form.items()}
    started = time.perf_counter()
    for _ in range(orders):
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update({**SUBMISSION, **SERVICE_LEVEL})
        workflow.do_engine_steps()
        while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
            ready[0].data.update(data)
            ready[0].run()
            workflow.do_engine_steps()
        assert workflow.is_completed()
    elapsed = time.perf_counter() - started
    return {"orders": orders, "seconds": round(elapsed, 2),
            "orders_per_second": round(orders / elapsed, 1)}


if __name__ == "__main__":
    print(run(orders=200))
