"""A deployment: a set of files (.bpmn diagrams, .dmn decision tables, .json forms)
turned into sources to validate and store. The same path serves uploads,
`flask deploy` and the deployment of processes/ and forms/ at start-up.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from engine.definitions.bpmn import (
    DefinitionInvalid,
    Problem,
    ProcessSource,
    form_names,
    source_from_bytes,
)
from engine.definitions.decisions import DecisionSource, decision_source
from engine.definitions.limits import DEFAULT_LIMITS, DefinitionLimits, file_size_problem

EXTENSIONS = (".bpmn", ".dmn", ".json")
MAX_FILES = 200
MAX_FILE_NAME = 300  # the file_name columns


def parse_form(name: str, content: bytes, limits: DefinitionLimits = DEFAULT_LIMITS
               ) -> tuple[Any, Problem | None]:
    """A form file as JSON (strict: no NaN or Infinity, which databases refuse)."""
    def refuse_constant(constant: str):
        raise ValueError(f"{constant} is not allowed in JSON")

    if problem := file_size_problem(len(content), limits):
        return None, Problem(name, f"too large to deploy: {problem}")
    try:
        return json.loads(content.decode("utf-8"), parse_constant=refuse_constant), None
    except RecursionError:
        return None, Problem(name, "not valid JSON: nested too deeply")
    except (ValueError, UnicodeDecodeError) as err:
        return None, Problem(name, f"not valid JSON: {err}")


@dataclass
class Sources:
    processes: list[ProcessSource] = field(default_factory=list)
    decisions: list[DecisionSource] = field(default_factory=list)
    # Found while sorting the files; reported with the rest when deploying.
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class DeployedUser:
    """A deployed diagram that names a form: redeployed when only that form changes."""

    file_name: str
    bpmn: bytes
    forms: dict[str, Any]


def files_in(*paths: Path) -> dict[str, bytes]:
    """The deployable files at `paths` (files, or folders searched one level deep)."""
    files: dict[str, bytes] = {}
    for path in paths:
        candidates = sorted(path.iterdir()) if path.is_dir() else [path]
        for candidate in candidates:
            if candidate.suffix in EXTENSIONS and candidate.is_file():
                files[candidate.name] = candidate.read_bytes()
    return files


def collect_sources(
    files: Mapping[str, bytes],
    *,
    deployed_form: Callable[[str], Any | None] = lambda name: None,
    deployed_users_of: Callable[[str], list[DeployedUser]] = lambda name: [],
    forms_dir: Path | None = None,
    strict_forms: bool = True,
    limits: DefinitionLimits = DEFAULT_LIMITS,
) -> Sources:
    """Sort `files` into process and decision sources (problems are kept in them, to be
    reported with those found when the sources are checked).

    A diagram's forms come from the same deployment, else from the newest deployed
    version that has them, else from `forms_dir`. A form deployed without any diagram
    naming it redeploys the deployed diagrams that use it (or, with `strict_forms`, is
    a problem if none does).
    """
    problems: list[Problem] = []
    if len(files) > MAX_FILES:
        raise DefinitionInvalid([Problem("(deployment)", f"more than {MAX_FILES} files")])
    forms, diagrams, tables = {}, {}, {}
    for name, content in files.items():
        if (too_large := file_size_problem(len(content), limits)) and name:
            problems.append(Problem(name, f"too large to deploy: {too_large}"))
        elif PurePath(name).name != name or not name:
            problems.append(Problem(name or "(unnamed)", "a file name must not contain a path"))
        elif len(name) > MAX_FILE_NAME:
            problems.append(Problem(name[:60] + "…", f"file name over {MAX_FILE_NAME} characters"))
        elif name.endswith(".json"):
            form, problem = parse_form(name, content, limits)
            if problem is not None:
                problems.append(problem)
            else:
                forms[name] = form
        elif not name.endswith((".bpmn", ".dmn")):
            problems.append(Problem(name, "only .bpmn, .dmn and .json files can be deployed"))
        elif not _is_utf8(content):
            problems.append(Problem(name, "not UTF-8: save the file with UTF-8 encoding"))
        elif name.endswith(".bpmn"):
            diagrams[name] = content
        else:
            tables[name] = content

    def find_form(name: str) -> Any | None:
        if name in forms:
            return forms[name]
        if (deployed := deployed_form(name)) is not None:
            return deployed
        path = forms_dir / name if forms_dir is not None else None
        if path is not None and PurePath(name).name == name and path.is_file():
            form, problem = parse_form(name, path.read_bytes(), limits)
            if problem is not None:
                problems.append(problem)
            return form
        return None

    sources = Sources()
    named: set[str] = set()
    for name, content in diagrams.items():
        try:
            named |= form_names(name, content)
            sources.processes.append(source_from_bytes(name, content, find_form))
        except DefinitionInvalid as err:
            problems.extend(err.problems)
    users: dict[str, DeployedUser] = {}
    for form in sorted(set(forms) - named):
        found = [u for u in deployed_users_of(form) if u.file_name not in diagrams]
        if not found and strict_forms:
            problems.append(Problem(form, "no diagram (uploaded or deployed) names this form"))
        users.update((user.file_name, user) for user in found)
    for user in users.values():  # each affected diagram once, with every new form
        sources.processes.append(source_from_bytes(
            user.file_name, user.bpmn, (user.forms | forms).get))
    for name, content in tables.items():
        try:
            sources.decisions.append(decision_source(name, content))
        except DefinitionInvalid as err:
            problems.extend(err.problems)
    problems.extend(_duplicates(sources))
    sources.problems = problems
    return sources


def _is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _duplicates(sources: Sources) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    every: list[ProcessSource | DecisionSource] = [*sources.processes, *sources.decisions]
    for source in every:
        if source.key in seen:
            problems.append(Problem(source.file_name, f"{source.key!r} is also defined in "
                                                      f"{seen[source.key]}"))
        seen.setdefault(source.key, source.file_name)
    return problems
