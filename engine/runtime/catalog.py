"""What is deployed: process and decision versions, their forms, the escalation ladder,
and decisions evaluated on demand."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.decisions import evaluate_decision
from engine.definitions.versions import find_decision, find_definition
from engine.errors import DecisionNotFound, DefinitionNotFound
from engine.runtime.ladder_table import Rung
from engine.runtime.pipeline import Pipeline
from engine.store.models import DecisionDefinition, ProcessDefinition, ProcessInstance
from engine.store.queries import latest_definitions
from engine.store.unit_of_work import UnitsOfWork


class Catalog:
    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline) -> None:
        self.uow = uow
        self.pipeline = pipeline

    def decide(self, key: str, inputs: dict[str, Any], version: int | None = None) -> dict:
        """Evaluate the decision table `key` (latest version unless named) on `inputs`."""
        with self.uow.reading() as session:
            parsed = self.pipeline.specs.decision(
                find_decision(session, key, version, light=True))
        return dict(evaluate_decision(parsed, inputs))

    def definitions(self) -> list[tuple[ProcessDefinition, int]]:
        """The newest version of each process key, with its number of versions."""
        with self.uow.reading() as session:
            return latest_definitions(session)

    def deployed_keys(self) -> set[str]:
        """The process keys with a deployed version (no source read: a readiness probe
        asks this every few seconds)."""
        with self.uow.reading() as session:
            return set(session.scalars(select(ProcessDefinition.key).distinct()))

    def versions(self, kind: str, key: str) -> list:
        """Every version of process or decision `key`, newest first (NotFound if none)."""
        model = ProcessDefinition if kind == "process" else DecisionDefinition
        with self.uow.reading() as session:
            rows = list(session.scalars(select(model).where(model.key == key)
                                        .order_by(model.version.desc())))
        if not rows:
            raise (DefinitionNotFound if kind == "process" else DecisionNotFound)(key)
        return rows

    def running_instances_by_version(self, key: str) -> dict[int, int]:
        with self.uow.reading() as session:
            return dict(session.execute(
                select(ProcessInstance.definition_version, func.count())
                .where(ProcessInstance.definition_key == key,
                       ProcessInstance.status == "running")
                .group_by(ProcessInstance.definition_version)).all())

    def decision_tables(self) -> list[tuple[DecisionDefinition, int]]:
        """The newest version of each decision table, with its number of versions."""
        with self.uow.reading() as session:
            return latest_definitions(session, DecisionDefinition)

    def decision_definition(self, key: str, version: int | None = None) -> DecisionDefinition:
        with self.uow.reading() as session:
            return find_decision(session, key, version)

    def definition(self, key: str, version: int | None = None) -> ProcessDefinition:
        with self.uow.reading() as session:
            return find_definition(session, key, version)

    def form_schema(self, definition_id: int, form: str | None) -> dict[str, Any] | None:
        """The JSON Schema of `form` as deployed with that definition version."""
        if form is None:
            return None
        parsed = self.pipeline.specs.cached(definition_id)
        if parsed is None:
            with self.uow.reading() as session:
                parsed = self.pipeline.parsed(session, definition_id)
        return parsed.forms.get(form)

    def ladder_rungs(self, session: Session) -> dict[str, list[Rung]]:
        """The deployed escalation ladder's rungs by limit kind (none without one)."""
        return self.pipeline.ladder.rungs(session)
