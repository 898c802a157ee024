"""Deployed versions of process definitions, and the in-memory cache of parsed specs."""
from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only, sessionmaker

from engine.definitions.bpmn import (
    DefinitionInvalid,
    ParsedProcess,
    Problem,
    ProcessSource,
    parse_source,
    safe_root,
    size_check,
)
from engine.definitions.cross_checks import reference_problems
from engine.definitions.decisions import DecisionSource, ParsedDecision, parse_decision
from engine.definitions.expectations import DecisionExpectation
from engine.definitions.limits import DEFAULT_LIMITS, DefinitionLimits, size_problems
from engine.definitions.sources import DeployedUser, Sources
from engine.errors import DecisionNotFound, DefinitionNotFound
from engine.reference.directory import Directory
from engine.runtime.serialization import dump_spec, restore_spec
from engine.store.models import DecisionDefinition, ProcessDefinition
from engine.store.queries import latest_definitions


@dataclass(frozen=True)
class DeployResult:
    kind: str  # process | decision
    key: str
    version: int
    created: bool  # False when the content was already deployed as this version


class SpecCache:
    """Parsed versions by row id; each version is restored once per process."""

    def __init__(self) -> None:
        self._parsed: dict[int, ParsedProcess] = {}
        self._decisions: dict[int, ParsedDecision] = {}
        self._lock = threading.Lock()
        self.deployments = 0  # new versions stored by this process (caches look again)

    def cached(self, definition_id: int) -> ParsedProcess | None:
        """The parsed version if this process has it already (versions never change)."""
        return self._parsed.get(definition_id)

    def get(self, definition: ProcessDefinition) -> ParsedProcess:
        parsed = self._parsed.get(definition.id)
        if parsed is None:
            spec, subprocess_specs = restore_spec(definition.serialized_spec)
            parsed = ParsedProcess(definition.key, spec, subprocess_specs, definition.forms)
            with self._lock:
                parsed = self._parsed.setdefault(definition.id, parsed)
        return parsed

    def loaded(self) -> dict[str, dict[int, object]]:
        """What this process has parsed so far, by kind and row id (for checks)."""
        return {"process": dict(self._parsed), "decision": dict(self._decisions)}

    def decision(self, definition: DecisionDefinition) -> ParsedDecision:
        parsed = self._decisions.get(definition.id)
        if parsed is None:
            source = DecisionSource(definition.key, definition.file_name,
                                    definition.dmn_xml.encode("utf-8"))
            parsed = parse_decision(source)
            with self._lock:
                parsed = self._decisions.setdefault(definition.id, parsed)
        return parsed


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return _latest(session, ProcessDefinition, key)


def find_definition(session: Session, key: str, version: int | None = None, *,
                    light: bool = False) -> ProcessDefinition:
    """The version (newest unless named). `light`: without its source columns, for a
    caller that only runs it inside `session` (see _light)."""
    definition = _find(session, ProcessDefinition, key, version, light=light)
    if definition is None:
        raise DefinitionNotFound(key, version)
    return definition


def find_decision(session: Session, key: str, version: int | None = None, *,
                  light: bool = False) -> DecisionDefinition:
    """The table (newest unless named); `light` as for find_definition."""
    decision = _find(session, DecisionDefinition, key, version, light=light)
    if decision is None:
        raise DecisionNotFound(key, version)
    return decision


def deploy_sources(
    session_factory: sessionmaker[Session],
    sources: Sources,
    now: datetime,
    *,
    dry_run: bool = False,
    skip_known_content: bool = False,
    directory: Directory | None = None,
    limits: DefinitionLimits = DEFAULT_LIMITS,
    expectations: tuple[DecisionExpectation, ...] = (),
    code_lists: Collection[str] | None = None,
) -> list[DeployResult]:
    """Validate every source, then store a new version of each one whose content changed.
    Departments a decision table names must be in `directory`, when one is given; every
    source is within `limits`; a table meets what `expectations` ask of it.

    With `skip_known_content` (start-up), content that was ever deployed as any version
    is not deployed again: a designer's newer upload is not undone by an older copy on
    disk.

    All or nothing: if any source has a problem, DefinitionInvalid lists them all and
    nothing is stored. A dry run validates and reports what would be stored.
    """
    if skip_known_content:
        sources, known = _without_known_content(session_factory, sources)
    else:
        known = []
    processes: list[tuple[ProcessSource, ParsedProcess]] = []
    decisions: list[tuple[DecisionSource, ParsedDecision]] = []
    problems = list(sources.problems)
    for diagram in sources.processes:
        try:
            processes.append((diagram, parse_source(diagram, limits)))
        except DefinitionInvalid as err:
            problems.extend(err.problems)
    for table in sources.decisions:
        try:
            _check_table_size(table, limits)
            decisions.append((table, parse_decision(table)))
        except DefinitionInvalid as err:
            problems.extend(err.problems)
    problems.extend(reference_problems(session_factory, processes, decisions, directory,
                                       limits, expectations, code_lists))
    if problems:
        # A form named by several diagrams is reported once.
        raise DefinitionInvalid(list(dict.fromkeys(problems)))
    try:
        return known + _store_versions(session_factory, processes, decisions, now, dry_run,
                                       skip_known_content)
    except IntegrityError:
        # Another process deployed the same key at the same moment; its versions are
        # now visible, so a second pass either finds them identical or numbers after them.
        return known + _store_versions(session_factory, processes, decisions, now, dry_run,
                                       skip_known_content)


def _check_table_size(table: DecisionSource, limits: DefinitionLimits) -> None:
    """DefinitionInvalid if a decision table is larger than designers may deploy (checked
    here, not when a deployed table is read: limits may have changed since)."""
    size_check(table.file_name, table.dmn, limits)
    if too_large := size_problems(safe_root(table.file_name, table.dmn), limits):
        raise DefinitionInvalid([Problem(table.file_name, f"too large to deploy: {problem}",
                                         element_id=table.key) for problem in too_large])


def _without_known_content(
    session_factory: sessionmaker[Session], sources: Sources,
) -> tuple[Sources, list[DeployResult]]:
    """The sources whose content was never deployed, and results for those that were
    (start-up deploys the same files again and again: no need to parse them each time)."""
    with session_factory() as session:
        known = {kind: _hashes(session, model)
                 for kind, model in (("process", ProcessDefinition),
                                     ("decision", DecisionDefinition))}
    results: list[DeployResult] = []

    def deployed(kind: str, source: ProcessSource | DecisionSource) -> bool:
        """Whether this content was deployed before (its result is then noted)."""
        version, hashes = known[kind].get(source.key, (0, set()))
        if source.content_hash in hashes:
            results.append(DeployResult(kind, source.key, version, created=False))
            return True
        return False

    fresh = Sources(problems=list(sources.problems))
    for diagram in sources.processes:
        if not deployed("process", diagram):
            fresh.processes.append(diagram)
    for table in sources.decisions:
        if not deployed("decision", table):
            fresh.decisions.append(table)
    return fresh, results


def _hashes(session: Session, model) -> dict[str, tuple[int, set[str]]]:
    """Each key's newest version number and every content hash it was deployed with."""
    rows = session.execute(select(model.key, model.version, model.content_hash)).all()
    by_key: dict[str, tuple[int, set[str]]] = {}
    for key, version, content_hash in rows:
        newest, hashes = by_key.get(key, (0, set()))
        hashes.add(content_hash)
        by_key[key] = (max(newest, version), hashes)
    return by_key


def deployed_form(session: Session, name: str) -> Any | None:
    """The newest deployed copy of form `name`, if any definition has it."""
    for definition in _newest_versions(session):
        if name in definition.forms:
            return definition.forms[name]
    return None


def deployed_users_of(session: Session, form: str) -> list[DeployedUser]:
    """The newest version of every process whose diagram names form `form`."""
    return [DeployedUser(d.file_name, d.bpmn_xml.encode("utf-8"), d.forms)
            for d in _newest_versions(session) if form in d.forms]


def _newest_versions(session: Session) -> list[ProcessDefinition]:
    """The newest version of each process, most recently deployed first."""
    newest = [definition for definition, _versions in latest_definitions(session)]
    return sorted(newest, key=lambda d: (d.deployed_at, d.id), reverse=True)


def _store_versions(session_factory, processes, decisions, now, dry_run,
                    skip_known_content) -> list[DeployResult]:
    results = []
    with session_factory() as session:
        session.begin()
        for source, process in processes:
            results.append(_store(session, ProcessDefinition, "process", source, now,
                                  partial(_process_columns, source, process),
                                  skip_known_content))
        for source, decision in decisions:
            results.append(_store(session, DecisionDefinition, "decision", source, now,
                                  partial(_decision_columns, source, decision),
                                  skip_known_content))
        if dry_run:
            session.rollback()
        else:
            session.commit()
    return results


def _process_columns(source, process) -> dict[str, Any]:
    return {"name": process.spec.description, "bpmn_xml": source.bpmn.decode("utf-8"),
            "forms": source.forms,
            "serialized_spec": dump_spec(process.spec, process.subprocess_specs)}


def _decision_columns(source, decision) -> dict[str, Any]:
    return {"name": decision.name, "dmn_xml": source.dmn.decode("utf-8")}


def _store(session, model, kind, source, now, columns, skip_known_content) -> DeployResult:
    """Add a new version unless the newest (or, skipping known content, any) version has
    the same content; `columns()` (serializing the spec) runs only for a new version."""
    latest = _latest(session, model, source.key)
    if latest is not None and latest.content_hash == source.content_hash:
        return DeployResult(kind, source.key, latest.version, created=False)
    if latest is not None and skip_known_content and session.scalar(
            select(model.id).where(model.key == source.key,
                                   model.content_hash == source.content_hash).limit(1)):
        return DeployResult(kind, source.key, latest.version, created=False)
    version = latest.version + 1 if latest else 1
    session.add(model(key=source.key, version=version, content_hash=source.content_hash,
                      file_name=source.file_name, deployed_at=now, **columns()))
    session.flush()
    return DeployResult(kind, source.key, version, created=True)


def _latest(session: Session, model, key: str, *, light: bool = False):
    query = select(model).where(model.key == key).order_by(model.version.desc()).limit(1)
    return session.scalars(_light(query, model) if light else query).first()


def _naming_columns(model):
    return load_only(model.id, model.key, model.version, model.name, model.content_hash,
                     model.file_name, model.deployed_at)


# Built once: the option is as costly to build as the query it shortens.
_LIGHT = {model: _naming_columns(model) for model in (ProcessDefinition, DecisionDefinition)}


def _light(query, model):
    """Only the columns naming a version. Its source (diagram or table XML, serialized
    spec, forms: 130 kB for the relay flow) is read only if this process has not parsed
    the version yet, when SpecCache asks for it, in the same session; every start and
    decision used to read it, twice per intake."""
    return query.options(_LIGHT[model])


# Version numbers a database integer column can hold; others cannot exist.
_VERSIONS = range(1, 2**31)


def _find(session: Session, model, key: str, version: int | None, *, light: bool = False):
    if version is None:
        return _latest(session, model, key, light=light)
    if version not in _VERSIONS:
        return None
    query = select(model).where(model.key == key, model.version == version)
    return session.scalars(_light(query, model) if light else query).first()
