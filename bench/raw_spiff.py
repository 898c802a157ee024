"""The same relay diagram run by SpiffWorkflow alone, in memory: the ceiling.

`run` is whole orders per second; `step_cost` is the CPU of one completed step (a user
task run, then the engine steps up to the next wait), in memory and with the workflow
deserialized before and serialized after each step, as a stateless server must at the
least. The serializer is SpiffWorkflow's own, which writes the spec into every state
(the engine stores it once per version), so its figure is an upper bound for raw.
"""
from __future__ import annotations

import time

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from .common import (
    FORM_DATA,
    SERVICE_LEVEL,
    SUBMISSION,
    median,
    parsed_process,
    script_engine,
)

# Every form's answers at once: each step takes the fields its gateways read.
DATA = {key: value for form in FORM_DATA.values() for key, value in form.items()}


def _relay():
    return parsed_process("two_department_relay")


def _new_workflow(parsed, evaluator) -> BpmnWorkflow:
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=evaluator)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update({**SUBMISSION, **SERVICE_LEVEL})
    workflow.do_engine_steps()
    return workflow


def _step(workflow: BpmnWorkflow) -> str | None:
    """Complete the first ready user task; its name, or None when the order is done."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if not ready:
        return None
    ready[0].data.update(DATA)
    ready[0].run()
    workflow.do_engine_steps()
    return ready[0].task_spec.name


def run(*, orders: int) -> dict:
    parsed = _relay()
    evaluator = script_engine()
    started = time.perf_counter()
    for _ in range(orders):
        workflow = _new_workflow(parsed, evaluator)
        while _step(workflow):
            pass
        assert workflow.is_completed()
    elapsed = time.perf_counter() - started
    return {"orders": orders, "seconds": round(elapsed, 2),
            "orders_per_second": round(orders / elapsed, 1)}


def step_cost(*, orders: int) -> dict:
    """Median CPU ms per step, in memory and with (de)serialization around each step."""
    parsed = _relay()
    evaluator = script_engine()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    _new_workflow(parsed, evaluator)  # warm up imports and caches
    in_memory, serialized, by_stage, sizes = [], [], {}, []
    for _ in range(orders):
        workflow = _new_workflow(parsed, evaluator)
        while True:
            started = time.process_time()
            name = _step(workflow)
            cpu = time.process_time() - started
            if name is None:
                break
            in_memory.append(cpu)
            by_stage.setdefault(name, []).append(cpu)
        state = serializer.serialize_json(_new_workflow(parsed, evaluator))
        while True:
            started = time.process_time()
            workflow = serializer.deserialize_json(state)
            workflow.script_engine = evaluator  # not serialized
            name = _step(workflow)
            state = serializer.serialize_json(workflow)
            cpu = time.process_time() - started
            if name is None:
                break
            serialized.append(cpu)
            sizes.append(len(state))
    return {
        "orders": orders,
        "steps_per_order": len(in_memory) // orders,
        "step_cpu_ms": _ms(median(in_memory)),
        "step_serialized_cpu_ms": _ms(median(serialized)),
        "state_bytes_median": int(median(sizes)),
        "by_stage_cpu_ms": {name: _ms(median(v)) for name, v in by_stage.items()},
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


if __name__ == "__main__":
    print(run(orders=200))
    print(step_cost(orders=50))
