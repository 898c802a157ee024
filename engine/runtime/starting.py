"""Starting instances: the start's variables checked and completed (form defaults, the
directory, the start decision), an idempotent start, and the first step of the flow."""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.definitions.bpmn import START_DECISION_PROPERTY, start_property
from engine.definitions.decisions import evaluate_decision
from engine.definitions.forms import FORM_PROPERTY, with_defaults
from engine.definitions.versions import find_decision, find_definition
from engine.errors import (
    BusinessKeyInUse,
    DecisionNotFound,
    IdempotencyKeyReused,
    InstanceFailed,
)
from engine.reference.directory import Directory
from engine.runtime.form_data import check_form_data
from engine.runtime.pipeline import Pipeline
from engine.runtime.serialization import fingerprint_of
from engine.runtime.step import Step, summary
from engine.store.models import ProcessDefinition, ProcessInstance, StartRequest
from engine.store.unit_of_work import UnitsOfWork

# Fills in start variables a deployment derives (e.g. from the directory) before the
# start is checked: (start form schema, variables) -> variables.
StartDefaults = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class StartResult:
    instance_id: str
    created: bool  # False when an identical earlier start is returned
    # The row this start created, for more work in the same unit of work (a session
    # holds a clean row only while someone does).
    instance: ProcessInstance | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class PreparedStart:
    """A start's variables as check_start made them (form defaults filled in, checked,
    the start decision's outputs added) for one version of one process."""

    key: str
    version: int
    variables: dict[str, Any]


class Starter:
    """Starts instances, each in one unit of work."""

    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline, clock: Clock,
                 directory: Directory | None, defaults: StartDefaults | None = None) -> None:
        self.uow = uow
        self.pipeline = pipeline
        self.clock = clock
        self.directory = directory
        self.defaults = defaults

    def start(
        self,
        key: str,
        business_key: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: str | None = None,
        version: int | None = None,
        idempotency_key: str | None = None,
    ) -> StartResult:
        """Start an instance of `key` (latest version unless `version` is given).

        Retrying the same start (same Idempotency-Key, or same business key, with the
        same request from the same caller) returns the instance already started; the
        same key with a different request is a Conflict.
        """
        variables = dict(variables or {})
        fingerprint = start_fingerprint(key, version, business_key, variables, actor)
        try:
            with self.uow.transaction() as session:
                return self.start_in(session, key, business_key, variables, actor=actor,
                                     version=version, idempotency_key=idempotency_key)
        except IntegrityError:
            # Lost a race with the same start; the winner's rows are visible now.
            with self.uow.sessions() as session:
                prior = prior_start(session, key, business_key, fingerprint, actor,
                                    idempotency_key)
            if prior is None:
                raise
            return StartResult(prior, created=False)

    def start_in(
        self,
        session: Session,
        key: str,
        business_key: str,
        variables: dict[str, Any],
        *,
        actor: str | None,
        version: int | None = None,
        idempotency_key: str | None = None,
        prepared: bool = False,
        department: str | None = None,
    ) -> StartResult:
        """The start, inside the caller's unit of work (`prepared`: the variables are
        check_start's, used as they are)."""
        fingerprint = start_fingerprint(key, version, business_key, variables, actor)
        now = self.clock.now()
        prior = prior_start(session, key, business_key, fingerprint, actor, idempotency_key)
        if prior is not None:
            return StartResult(prior, created=False)
        definition = find_definition(session, key, version, light=True)
        parsed = self.pipeline.specs.get(definition)
        if not prepared:
            variables = self._prepare(session, definition, variables)
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs,
                                script_engine=self.pipeline.script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(variables))
        instance = ProcessInstance(
            id=str(uuid4()), definition_id=definition.id, definition_key=key,
            definition_version=definition.version, business_key=business_key,
            status="running", started_by=actor, start_fingerprint=fingerprint,
            state="", variables={}, started_at=now, updated_at=now,
        )
        session.add(instance)
        if idempotency_key is not None:
            session.add(StartRequest(
                requester=actor or "", idempotency_key=idempotency_key,
                fingerprint=fingerprint, instance_id=instance.id, created_at=now,
            ))
        session.flush()
        step = Step(session, instance, workflow, parsed, now)
        step.begin_new_instance()
        step.record("started", actor=actor, department=department, detail={
            "definition_version": definition.version, "data": summary(variables),
        })
        step.publish("instance_started", definition_version=definition.version,
                     started_by=actor)
        self.pipeline.deadline.schedule(step, variables)
        self.pipeline.advance(step)
        self.pipeline.save(step)
        return StartResult(instance.id, created=True, instance=instance)

    def start_prepared_in(self, session: Session, prepared: PreparedStart, business_key: str,
                          *, actor: str | None = None,
                          department: str | None = None) -> StartResult:
        """Start the version `prepared` was checked against, with its variables as they
        are, inside the caller's unit of work; `department`: the one acting, named on the
        timeline's first entry."""
        return self.start_in(session, prepared.key, business_key, dict(prepared.variables),
                             actor=actor, version=prepared.version, prepared=True,
                             department=department)

    def check_start(self, key: str, variables: dict[str, Any],
                    version: int | None = None) -> PreparedStart:
        """The variables a start of `key` would run with (form defaults filled in, the
        start decision's outputs added); FormValidationError lists every bad field."""
        with self.uow.reading() as session:
            definition = find_definition(session, key, version, light=True)
            return PreparedStart(key, definition.version,
                                 self._prepare(session, definition, dict(variables)))

    def start_form(self, definition: ProcessDefinition) -> tuple[str, dict] | None:
        """Name and schema of the form a start of `definition` must satisfy."""
        parsed = self.pipeline.specs.get(definition)
        if form := start_property(parsed, FORM_PROPERTY):
            return form, parsed.forms.get(form, {})
        return None

    def start_decision(self, definition: ProcessDefinition) -> str | None:
        """The decision table whose outputs join a new instance's data, if any."""
        return start_property(self.pipeline.specs.get(definition), START_DECISION_PROPERTY)

    def _prepare(self, session: Session, definition: ProcessDefinition,
                 variables: dict[str, Any]) -> dict[str, Any]:
        start_form = self.start_form(definition)
        name, schema = start_form or ("start", None)
        if schema is not None:
            variables = with_defaults(schema, variables)
            if self.defaults is not None:
                variables = self.defaults(schema, variables)
        check_form_data(name, schema, variables, self.directory)
        decision_key = self.start_decision(definition)
        if decision_key is None:
            return variables
        try:
            parsed = self.pipeline.specs.decision(find_decision(session, decision_key,
                                                                light=True))
        except DecisionNotFound:
            raise InstanceFailed(f"{definition.key} starts with the decision table "
                                 f"{decision_key!r}, which is not deployed") from None
        return {**variables, **evaluate_decision(parsed, variables)}


def start_fingerprint(key: str, version: int | None, business_key: str,
                      variables: dict[str, Any], actor: str | None) -> str:
    return fingerprint_of({"key": key, "version": version, "business_key": business_key,
                           "variables": variables, "actor": actor})


def prior_start(
    session: Session,
    key: str,
    business_key: str,
    fingerprint: str,
    actor: str | None,
    idempotency_key: str | None,
) -> str | None:
    """The instance an identical earlier start created, if any; raise on a clash."""
    if idempotency_key is not None:
        request = session.scalar(select(StartRequest).where(
            StartRequest.requester == (actor or ""),
            StartRequest.idempotency_key == idempotency_key,
        ))
        if request is not None:
            if request.fingerprint != fingerprint:
                raise IdempotencyKeyReused(idempotency_key, request.instance_id)
            return request.instance_id
    existing = session.scalars(select(ProcessInstance).where(
        ProcessInstance.definition_key == key, ProcessInstance.business_key == business_key
    )).first()
    if existing is None:
        return None
    if existing.start_fingerprint != fingerprint:
        raise BusinessKeyInUse(key, business_key, existing.id)
    return existing.id
