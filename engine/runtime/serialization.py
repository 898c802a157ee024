"""Workflow state <-> JSON, with the process spec kept out of the instance state.

A spec is serialized once per deployed version and cached; instance state refers to
it instead of embedding a copy (smaller rows, faster saves). The workflow converter
below is SpiffWorkflow's own, minus the spec.
"""
from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnStartTaskConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.runtime.shared_specs import SharedStartTask, prepare_for_sharing

# (spec, subprocess_specs) of the workflow being restored; set by `restore_workflow`.
_restoring_specs: contextvars.ContextVar[tuple[Any, dict] | None] = contextvars.ContextVar(
    "restoring_specs", default=None
)


class _SpecReferenceConverter(BpmnWorkflowConverter):
    """Writes a workflow without its spec; restores it onto the spec in context."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict) -> BpmnWorkflow:
        specs = _restoring_specs.get()
        if specs is None:
            raise RuntimeError("restore_workflow() must supply the spec")
        spec, subprocess_specs = specs
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _SharedStartConverter(BpmnStartTaskConverter):
    """Restores every start task as a SharedStartTask, under the typename SpiffWorkflow
    writes (so specs stored before keep loading), and writes both classes alike."""

    def __init__(self, target_class, registry, typename=None):
        super().__init__(SharedStartTask, registry, typename=BpmnStartTask.__name__)
        registry.register(BpmnStartTask, self.to_dict, self.from_dict,
                          typename=BpmnStartTask.__name__)


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpecReferenceConverter
    config[BpmnStartTask] = _SharedStartConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_serializer = _make_serializer()


def spec_registry():
    """The serializer's converter registry (SpiffWorkflow's spec diff compares with it)."""
    return _serializer.registry


def dump_workflow(workflow: BpmnWorkflow) -> str:
    """Instance state as JSON text, without the spec."""
    return _serializer.serialize_json(workflow)


@contextmanager
def _specs_in_context(spec: Any, subprocess_specs: dict) -> Iterator[None]:
    token = _restoring_specs.set((spec, subprocess_specs))
    try:
        yield
    finally:
        _restoring_specs.reset(token)


def restore_workflow(state: str, spec: Any, subprocess_specs: dict) -> BpmnWorkflow:
    """Rebuild a workflow from `dump_workflow` output onto an already-parsed spec."""
    with _specs_in_context(spec, subprocess_specs):
        return _serializer.deserialize_json(state)


def dump_spec(spec: Any, subprocess_specs: dict) -> str:
    """A parsed process spec (and its sub-process specs) as JSON text."""
    dct = {
        "spec": _serializer.to_dict(spec),
        "subprocess_specs": {name: _serializer.to_dict(s) for name, s in subprocess_specs.items()},
    }
    return json.dumps(dct)


def restore_spec(text: str) -> tuple[Any, dict]:
    """A spec from `dump_spec` output, ready to be shared by every workflow of its
    version (see shared_specs)."""
    dct = json.loads(text)
    spec = _serializer.from_dict(dct["spec"])
    subs = {name: _serializer.from_dict(s) for name, s in dct["subprocess_specs"].items()}
    prepare_for_sharing(spec, subs)
    return spec, subs


def to_json_safe(value: Any) -> Any:
    """Task data as plain JSON values (datetimes and the like become strings)."""
    return json.loads(json.dumps(value, default=str))


def fingerprint_of(request: Any) -> str:
    """A hash of what a request asked for, to recognise its retry (JSON, keys sorted)."""
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
