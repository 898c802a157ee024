"""Deploying what designers wrote: an upload, files from disk, or the folders read at
start-up; every source checked first, all or nothing."""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from engine.clock import Clock
from engine.definitions.bpmn import ProcessSource
from engine.definitions.expectations import DecisionExpectation
from engine.definitions.limits import DEFAULT_LIMITS, DefinitionLimits
from engine.definitions.sources import Sources, collect_sources, files_in
from engine.definitions.versions import (
    DeployResult,
    SpecCache,
    deploy_sources,
    deployed_form,
    deployed_users_of,
)
from engine.reference.directory import Directory
from engine.store.unit_of_work import UnitsOfWork


class Deployer:
    def __init__(self, uow: UnitsOfWork, clock: Clock, directory: Directory | None,
                 specs: SpecCache, limits: DefinitionLimits = DEFAULT_LIMITS,
                 expectations: tuple[DecisionExpectation, ...] = (),
                 code_lists: Collection[str] | None = None) -> None:
        self.uow = uow
        self.specs = specs
        self.clock = clock
        # When given, every department a decision table names must be in it.
        self.directory = directory
        # How large, long and frequent what designers write may be.
        self.limits = limits
        # What the application built on the engine asks of its decision tables (e.g.
        # that the routing table routes every category to a deployed flow).
        self.expectations = expectations
        # When given, the code lists a form's fields may name ("x-code-list").
        self.code_lists = code_lists

    def deploy(
        self,
        sources: Sources | list[ProcessSource],
        *,
        dry_run: bool = False,
        skip_known_content: bool = False,
    ) -> list[DeployResult]:
        if isinstance(sources, list):
            sources = Sources(processes=sources)
        results = deploy_sources(self.uow.sessions, sources, self.clock.now(),
                                 dry_run=dry_run, skip_known_content=skip_known_content,
                                 directory=self.directory, limits=self.limits,
                                 expectations=self.expectations,
                                 code_lists=self.code_lists)
        if not dry_run and any(result.created for result in results):
            self.specs.deployments += 1
        return results

    def deploy_files(
        self,
        files: dict[str, bytes],
        *,
        forms_dir: Path | None = None,
        dry_run: bool = False,
        start_up: bool = False,
    ) -> list[DeployResult]:
        """Deploy .bpmn, .dmn and .json form files (an upload, or files from disk)."""
        with self.uow.reading() as session:
            sources = collect_sources(
                files, forms_dir=forms_dir, strict_forms=not start_up, limits=self.limits,
                deployed_form=lambda name: deployed_form(session, name),
                deployed_users_of=lambda form: deployed_users_of(session, form),
            )
        return self.deploy(sources, dry_run=dry_run, skip_known_content=start_up)

    def deploy_directory(self, processes_dir: Path, forms_dir: Path) -> list[DeployResult]:
        """Deploy processes/ (diagrams, decision tables) with the forms in forms/, at
        start-up: only content never deployed before becomes a new version."""
        return self.deploy_files(files_in(processes_dir, forms_dir), forms_dir=forms_dir,
                                 start_up=True)
