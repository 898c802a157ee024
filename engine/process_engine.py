"""The process engine: the composition root that wires the parts together.

Where things happen:
- definitions/deployer.py deploys what designers wrote (checked, versioned, cached);
- runtime/starting.py starts instances, runtime/commands.py claims, completes and
  delivers messages, runtime/timers.py fires due timers, runtime/migration.py moves
  instances to a new version; each is one unit of work (store/unit_of_work.py);
- runtime/pipeline.py is what every one of those does to an instance: load, advance
  (timers, records, thrown events, the ladder, the end), save;
- runtime/reads.py and runtime/catalog.py answer questions about instances and about
  what is deployed.
No Flask, no HTTP, no complaint vocabulary: the work-order layer (workorders/) builds
on this.
"""
from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, SystemClock
from engine.definitions.deployer import Deployer
from engine.definitions.expectations import DecisionExpectation
from engine.definitions.limits import DEFAULT_LIMITS, DefinitionLimits
from engine.definitions.versions import SpecCache
from engine.reference.calendars import Calendars, calendar_resolver
from engine.reference.code_lists import CodeLists
from engine.reference.directory import Directory
from engine.runtime.catalog import Catalog
from engine.runtime.commands import Commands
from engine.runtime.incidents import Incidents, RetryPolicy
from engine.runtime.migration import Migrator
from engine.runtime.pipeline import Pipeline
from engine.runtime.reads import Reads
from engine.runtime.recompute import Recomputer
from engine.runtime.repair import Repairs
from engine.runtime.starting import StartDefaults, Starter
from engine.runtime.timers import TimerFiring
from engine.store.unit_of_work import UnitsOfWork


class ProcessEngine:
    """Deploys definitions, runs instances, fires timers. No Flask, no HTTP."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        spec_cache: SpecCache | None = None,
        directory: Directory | None = None,
        start_defaults: StartDefaults | None = None,
        definition_limits: DefinitionLimits = DEFAULT_LIMITS,
        decision_expectations: tuple[DecisionExpectation, ...] = (),
        calendars: Calendars | None = None,
        timer_retry: RetryPolicy | None = None,
        code_lists: CodeLists | None = None,
    ) -> None:
        self.sessions = session_factory
        self.clock = clock or SystemClock()
        self.specs = spec_cache or SpecCache()
        # When given, every department an instance names must be in it, and supervisors
        # are told of breaches; without it, any id goes and management is told.
        self.directory = directory
        self.uow = UnitsOfWork(session_factory)
        # Working calendars, for limits a diagram counts in working time (without them
        # such a limit fails when its stage opens).
        self.calendars = calendars
        self.calendar_of = calendar_resolver(calendars, directory) if calendars else None
        self.pipeline = Pipeline(self.specs, directory, self.calendar_of,
                                 calendars.hold_rule if calendars else None)
        self.deployer = Deployer(self.uow, self.clock, directory, self.specs,
                                 definition_limits, decision_expectations,
                                 code_lists=set(code_lists) if code_lists is not None else None)
        self.catalog = Catalog(self.uow, self.pipeline)
        self.starter = Starter(self.uow, self.pipeline, self.clock, directory, start_defaults)
        # When given, a form field naming a code list takes only its codes.
        self.code_lists = code_lists
        self.commands = Commands(self.uow, self.pipeline, self.clock, directory, code_lists)
        self.timers = TimerFiring(self.uow, self.pipeline, self.clock, timer_retry)
        self.incidents = Incidents(self.uow, self.clock)
        self.migrator = Migrator(self.uow, self.pipeline, self.clock)
        self.repairs = Repairs(self.uow, self.pipeline, self.clock)
        self.recomputer = Recomputer(self.uow, self.pipeline, self.clock)
        self.reads = Reads(self.uow, self.clock)

    def transaction(self):
        """One unit of work (see store/unit_of_work.py)."""
        return self.uow.transaction()

    def reading(self):
        """A read-only session."""
        return self.uow.reading()
