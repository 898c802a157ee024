"""Deployed versions of process definitions, and the in-memory cache of parsed specs."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .definitions import DefinitionInvalid, ParsedProcess, ProcessSource, parse_source
from .errors import DefinitionNotFound
from .models import ProcessDefinition
from .serialization import dump_spec, restore_spec


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool  # False when the content was already deployed as this version


class SpecCache:
    """Parsed specs by definition id; each version is restored once per process."""

    def __init__(self) -> None:
        self._parsed: dict[int, ParsedProcess] = {}
        self._lock = threading.Lock()

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


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    ).first()


def find_definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    if version is None:
        definition = latest_definition(session, key)
    else:
        definition = session.scalars(
            select(ProcessDefinition).where(
                ProcessDefinition.key == key, ProcessDefinition.version == version
            )
        ).first()
    if definition is None:
        raise DefinitionNotFound(key, version)
    return definition


def deploy_sources(
    session_factory: sessionmaker[Session], sources: list[ProcessSource], now: datetime
) -> list[DeployResult]:
    """Validate every source, then store a new version of each one whose content changed.

    All or nothing: if any source has a problem, DefinitionInvalid lists them all and
    nothing is stored.
    """
    parsed, problems = [], []
    for source in sources:
        try:
            parsed.append((source, parse_source(source)))
        except DefinitionInvalid as err:
            problems.extend(err.problems)
    if problems:
        raise DefinitionInvalid(problems)
    try:
        return _store_versions(session_factory, parsed, now)
    except IntegrityError:
        # Another process deployed the same key at the same moment; its versions are
        # now visible, so a second pass either finds them identical or numbers after them.
        return _store_versions(session_factory, parsed, now)


def _store_versions(
    session_factory: sessionmaker[Session],
    parsed: list[tuple[ProcessSource, ParsedProcess]],
    now: datetime,
) -> list[DeployResult]:
    results = []
    with session_factory() as session, session.begin():
        for source, process in parsed:
            latest = latest_definition(session, source.key)
            if latest is not None and latest.content_hash == source.content_hash:
                results.append(DeployResult(source.key, latest.version, created=False))
                continue
            version = latest.version + 1 if latest else 1
            session.add(ProcessDefinition(
                key=source.key,
                version=version,
                name=process.spec.description,
                content_hash=source.content_hash,
                file_name=source.file_name,
                bpmn_xml=source.bpmn.decode("utf-8"),
                forms=source.forms,
                serialized_spec=dump_spec(process.spec, process.subprocess_specs),
                deployed_at=now,
            ))
            results.append(DeployResult(source.key, version, created=True))
    return results
