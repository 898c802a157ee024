"""The process engine: every state change of an instance as one unit of work.

Each command locks the instance row, restores the workflow onto its cached spec,
first fires any timer already due (so a lapse is never lost because a task was
completed before the worker got to it), applies the change, then rewrites the
human-task and timer query tables, appends timeline and outbox rows and saves the
state, all in one transaction.
"""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock, FixedClock, SystemClock, spiff_time
from engine.definitions.bpmn import (
    START_DECISION_PROPERTY,
    ParsedProcess,
    ProcessSource,
    start_property,
)
from engine.definitions.decisions import DecisionFailed, NoDecision, evaluate_decision
from engine.definitions.forms import (
    FORM_PROPERTY,
    FieldError,
    FormValidationError,
    validate_form_data,
    with_defaults,
)
from engine.definitions.sources import Sources, collect_sources, files_in
from engine.definitions.versions import (
    DeployResult,
    SpecCache,
    deploy_sources,
    deployed_form,
    deployed_users_of,
    find_decision,
    find_definition,
)
from engine.errors import (
    AmbiguousCorrelation,
    BusinessKeyInUse,
    Busy,
    Conflict,
    DecisionNotFound,
    DefinitionNotFound,
    IdempotencyKeyReused,
    InstanceChanged,
    InstanceFailed,
    InstanceNotFound,
    MessageNotCorrelated,
    NoRoute,
    NotWaitingForMessage,
    TaskClaimedByOther,
    TaskNotFound,
    TaskNotOpen,
)
from engine.reference.directory import Directory
from engine.runtime.ladder import RUNG, Ladder
from engine.runtime.ladder_table import Rung
from engine.runtime.limits import waiting_timers
from engine.runtime.migration import apply_migration, plan_migration
from engine.runtime.notifications import mark_read, visible_notification
from engine.runtime.repair import cancel_untriggered, recheck_waiting
from engine.runtime.sandbox import (
    RestrictedScriptEngine,
    add_department_seconds,
    department_of,
)
from engine.runtime.serialization import (
    dump_workflow,
    fingerprint_of,
    restore_workflow,
    to_json_safe,
)
from engine.runtime.step import SYSTEM_ACTOR, Acting, Step, append_timeline, iso
from engine.runtime.thrown_events import record_thrown_events
from engine.store.database import reading
from engine.store.models import (
    DecisionDefinition,
    HumanTask,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    StartRequest,
    TimelineEvent,
    Timer,
)
from engine.store.queries import (
    InstanceFilter,
    NotificationFilter,
    Page,
    TaskFilter,
    due_timers,
    latest_definitions,
    search_instances,
    search_notifications,
    search_tasks,
)

log = logging.getLogger(__name__)

# Form field whose text becomes the reason of the order event a completion causes.
REASON_FIELD = "reason"
SUMMARY_VALUE_LENGTH = 80
SUPERVISOR_VARIABLE = "supervisor_department"  # the Supervisor lane's department


@dataclass(frozen=True)
class StartResult:
    instance_id: str
    created: bool  # False when an identical earlier start is returned


@dataclass(frozen=True)
class PreparedStart:
    """A start's variables as check_start made them (form defaults filled in, checked,
    the start decision's outputs added) for one version of one process."""

    key: str
    version: int
    variables: dict[str, Any]


class ProcessEngine:
    """Deploys definitions, runs instances, fires timers. No Flask, no HTTP."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock | None = None,
        spec_cache: SpecCache | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.sessions = session_factory
        self.clock = clock or SystemClock()
        self.specs = spec_cache or SpecCache()
        # When given, every department an order names must be in it, and supervisors
        # are told of breaches; without it, any id goes and management is told.
        self.directory = directory
        self._script_engine = RestrictedScriptEngine()
        self._ladder = Ladder(self.specs, directory)

    # ----------------------------------------------------------------- deployment

    def deploy(
        self,
        sources: Sources | list[ProcessSource],
        *,
        dry_run: bool = False,
        skip_known_content: bool = False,
    ) -> list[DeployResult]:
        if isinstance(sources, list):
            sources = Sources(processes=sources)
        return deploy_sources(self.sessions, sources, self.clock.now(), dry_run=dry_run,
                              skip_known_content=skip_known_content, directory=self.directory)

    def deploy_files(
        self,
        files: dict[str, bytes],
        *,
        forms_dir: Path | None = None,
        dry_run: bool = False,
        start_up: bool = False,
    ) -> list[DeployResult]:
        """Deploy .bpmn, .dmn and .json form files (an upload, or files from disk)."""
        with self.reading() as session:
            sources = collect_sources(
                files, forms_dir=forms_dir, strict_forms=not start_up,
                deployed_form=lambda name: deployed_form(session, name),
                deployed_users_of=lambda form: deployed_users_of(session, form),
            )
        return self.deploy(sources, dry_run=dry_run, skip_known_content=start_up)

    def deploy_directory(self, processes_dir: Path, forms_dir: Path) -> list[DeployResult]:
        """Deploy processes/ (diagrams, decision tables) with the forms in forms/, at
        start-up: only content never deployed before becomes a new version."""
        return self.deploy_files(files_in(processes_dir, forms_dir), forms_dir=forms_dir,
                                 start_up=True)

    # ------------------------------------------------------------------ decisions

    def decide(self, key: str, inputs: dict[str, Any], version: int | None = None) -> dict:
        """Evaluate the decision table `key` (latest version unless named) on `inputs`."""
        with self.reading() as session:
            parsed = self.specs.decision(find_decision(session, key, version))
        return dict(evaluate_decision(parsed, inputs))

    def route(self, category: str, table: str = "routing") -> dict[str, Any]:
        """Where a complaint of `category` ("business/phenomenon/cause") goes: the flow
        and its department(s), from the newest version of the routing table."""
        parts = [part.strip() for part in category.split("/")]
        if len(parts) != 3 or not all(parts):
            raise NoRoute(category, "a category is business/phenomenon/cause")
        inputs = dict(zip(("business", "phenomenon", "cause"), parts, strict=True))
        try:
            route = self.decide(table, inputs)
        except NoDecision:
            raise NoRoute(category, f"no rule of the {table!r} table matches it") from None
        except DecisionFailed as err:
            raise NoRoute(category, str(err)) from None
        if not isinstance(route.get("flow"), str) or not route["flow"]:
            raise NoRoute(category, f"the {table!r} table must give one flow key per rule "
                                    "(an output 'flow'; hit policy UNIQUE or FIRST)")
        return route

    # ------------------------------------------------------------------- commands

    def start(
        self,
        key: str,
        business_key: str,
        variables: dict[str, Any] | None = None,
        *,
        actor: str | None = None,
        version: int | None = None,
        idempotency_key: str | None = None,
        on_create: Callable[[Session, ProcessInstance], None] | None = None,
    ) -> StartResult:
        """Start an instance of `key` (latest version unless `version` is given).

        Retrying the same start (same Idempotency-Key, or same business key, with the
        same request from the same caller) returns the instance already started; the
        same key with a different request is a Conflict. `on_create` runs last in the
        start's transaction, to record more about the new instance atomically (last, so
        that any lock it takes is held only until the commit).
        """
        return self._start(key, business_key, dict(variables or {}), actor=actor,
                           version=version, idempotency_key=idempotency_key,
                           on_create=on_create)

    def start_prepared(
        self,
        prepared: PreparedStart,
        business_key: str,
        *,
        actor: str | None = None,
        on_create: Callable[[Session, ProcessInstance], None] | None = None,
    ) -> StartResult:
        """Start the version `prepared` was checked against, with its variables as they
        are (see start)."""
        return self._start(prepared.key, business_key, dict(prepared.variables),
                           actor=actor, version=prepared.version, on_create=on_create,
                           prepared=True)

    def _start(
        self,
        key: str,
        business_key: str,
        variables: dict[str, Any],
        *,
        actor: str | None,
        version: int | None,
        idempotency_key: str | None = None,
        on_create: Callable[[Session, ProcessInstance], None] | None,
        prepared: bool = False,
    ) -> StartResult:
        fingerprint = fingerprint_of({"key": key, "version": version,
                                      "business_key": business_key, "variables": variables,
                                      "actor": actor})
        now = self.clock.now()
        try:
            with self.transaction() as session:
                prior = self._prior_start(session, key, business_key, fingerprint, actor,
                                          idempotency_key)
                if prior is not None:
                    return StartResult(prior, created=False)
                definition = find_definition(session, key, version)
                parsed = self.specs.get(definition)
                if not prepared:
                    variables = self._prepare_start(session, definition, variables)
                workflow = BpmnWorkflow(
                    parsed.spec, parsed.subprocess_specs, script_engine=self._script_engine
                )
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
                step.record("started", actor=actor, detail={
                    "definition_version": definition.version, "data": _summary(variables),
                })
                self._advance(step)
                self._save(step)
                if on_create is not None:
                    on_create(session, instance)
                return StartResult(instance.id, created=True)
        except IntegrityError:
            # Lost a race with the same start; the winner's rows are visible now.
            with self.sessions() as session:
                prior = self._prior_start(session, key, business_key, fingerprint, actor,
                                          idempotency_key)
            if prior is None:
                raise
            return StartResult(prior, created=False)

    def claim_task(self, task_id: str, actor: str, *, department: str | None = None) -> HumanTask:
        """Make `actor` the assignee; claiming one's own task again is a no-op."""
        now = self.clock.now()
        with self.transaction() as session:
            human = self._open_task(session, task_id, department, lock=True)
            if human.assignee == actor:
                return human
            if human.assignee is not None:
                raise TaskClaimedByOther(task_id, human.assignee)
            human.assignee = actor
            append_timeline(session, human.instance_id, "claimed", now, actor=actor,
                            stage=human.stage, department=human.department)
            return human

    def unclaim_task(
        self, task_id: str, actor: str, *, department: str | None = None, force: bool = False
    ) -> HumanTask:
        """Give a claimed task back to its department's inbox."""
        now = self.clock.now()
        with self.transaction() as session:
            human = self._open_task(session, task_id, department, lock=True)
            if human.assignee is None:
                return human
            if human.assignee != actor and not force:
                raise TaskClaimedByOther(task_id, human.assignee)
            previous = human.assignee
            human.assignee = None
            append_timeline(session, human.instance_id, "unclaimed", now, actor=actor,
                            stage=human.stage, department=human.department,
                            detail={"previous_assignee": previous})
            return human

    def complete_task(
        self,
        task_id: str,
        data: dict[str, Any],
        actor: str,
        *,
        department: str | None = None,
    ) -> None:
        """Complete an open user task with form `data` submitted by `actor`."""
        now = self.clock.now()
        with self.transaction() as session:
            instance_id = self._open_task(session, task_id, department).instance_id
            # Lock order everywhere: instance, then task row. Only once both are held is
            # the task's state and assignee final (a claim may have landed meanwhile).
            step = self._load(session, instance_id, now)
            human = self._open_task(session, task_id, department, lock=True)
            if human.assignee is not None and human.assignee != actor:
                raise TaskClaimedByOther(task_id, human.assignee)
            schema = step.parsed.forms.get(human.form, {}) if human.form else None
            if schema is not None:
                data = with_defaults(schema, data)
            self._validate(human.form or "form", schema, data)
            if self._a_timer_is_due(step):
                self._advance(step)  # a limit that passed before completion is recorded first
            task = step.workflow.get_task_from_id(UUID(task_id))
            if task is None or task.state != TaskState.READY:
                raise TaskNotOpen(task_id, "completed")
            add_department_seconds(step.workflow, task.task_spec.lane, human.department,
                                   (now - human.created_at).total_seconds())
            reason = data.get(REASON_FIELD)
            step.acting = Acting(actor, human.department, human.stage,
                                  reason if isinstance(reason, str) else None)
            task.data.update(copy.deepcopy(data))
            self._run(step, task.run)
            human.state = "completed"
            human.completed_at = now
            human.completed_by = actor
            held = (now - human.created_at).total_seconds()
            step.record("completed", actor=actor, stage=human.stage,
                        department=human.department, detail={
                            "data": _summary(data),
                            "duration_seconds": held,
                            "limit": human.stage_limit,
                            "due_at": iso(human.due_at),
                            "overdue": human.due_at is not None and now > human.due_at,
                        })
            self._advance(step)
            self._save(step)

    def deliver_message(
        self,
        instance_id: str,
        name: str,
        payload: dict[str, Any],
        actor: str | None = None,
        *,
        department: str | None = None,
        reason: str | None = None,
        check: Callable[[Session, ProcessInstance, list[HumanTask]], None] | None = None,
    ) -> None:
        """Deliver message `name` to one running instance, which must be waiting for it
        (or start an event sub-process on it). `department` and `reason` describe the
        sender in the order events the message causes; `check(session, instance, open
        tasks)` may refuse the delivery once the instance is locked."""
        now = self.clock.now()
        with self.transaction() as session:
            step = self._load(session, instance_id, now)
            self._advance(step)
            if check is not None:
                check(session, step.instance, _tasks(session, instance_id=instance_id))
            if step.instance.status != "running" or not _waits_for_message(step.workflow, name):
                raise NotWaitingForMessage(instance_id, name)
            step.acting = Acting(actor or SYSTEM_ACTOR, department, reason=reason)
            event = BpmnEvent(MessageEventDefinition(name), payload=copy.deepcopy(payload))
            self._run(step, lambda: step.workflow.send_event(event))
            step.record("message_received", actor=actor,
                        detail={"name": name, "data": _summary(payload)})
            self._advance(step)
            self._save(step)

    def correlate_message(
        self,
        name: str,
        business_key: str,
        payload: dict[str, Any],
        actor: str | None = None,
        *,
        process_key: str | None = None,
        started_by: str | None = None,
    ) -> str:
        """Deliver message `name` to the one running instance with `business_key` that
        waits for it (optionally only among `process_key` or `started_by`'s instances)."""
        query = select(ProcessInstance).where(
            ProcessInstance.business_key == business_key, ProcessInstance.status == "running"
        )
        if process_key is not None:
            query = query.where(ProcessInstance.definition_key == process_key)
        if started_by is not None:
            query = query.where(ProcessInstance.started_by == started_by)
        with self.reading() as session:
            candidates = list(session.scalars(query))
            waiting = [i.id for i in candidates if self._instance_waits_for(session, i, name)]
        if not waiting:
            raise MessageNotCorrelated(name, business_key)
        if len(waiting) > 1:
            raise AmbiguousCorrelation(name, business_key, len(waiting))
        self.deliver_message(waiting[0], name, payload, actor)
        return waiting[0]

    def _instance_waits_for(self, session: Session, instance: ProcessInstance, name: str) -> bool:
        parsed = self._parsed(session, instance.definition_id)
        workflow = restore_workflow(instance.state, parsed.spec, parsed.subprocess_specs)
        return _waits_for_message(workflow, name)

    def migrate(
        self,
        key: str,
        *,
        to_version: int | None = None,
        instance_ids: list[str] | None = None,
        from_version: int | None = None,
        dry_run: bool = False,
        actor: str | None = None,
    ) -> list[dict[str, Any]]:
        """Move running instances of `key` onto `to_version` (default: the newest).

        Choose the instances by id or by the version they run on. Each moves in its own
        transaction; one that cannot move (an open stage would be dropped, ...) is
        reported with the reasons and left as it was. A dry run only reports.
        """
        with self.reading() as session:
            target_definition = find_definition(session, key, to_version)
            query = select(ProcessInstance.id).where(ProcessInstance.definition_key == key)
            if instance_ids is not None:
                query = query.where(ProcessInstance.id.in_(instance_ids))
            if from_version is not None:
                query = query.where(ProcessInstance.definition_version == from_version)
            chosen = list(session.scalars(query.order_by(ProcessInstance.started_at)))
        missing = sorted(set(instance_ids or []) - set(chosen))
        reports = [{"instance_id": i, "migrated": False, "refusals": [
            f"no instance of {key!r} with this id"]} for i in missing]
        for instance_id in chosen:
            try:
                reports.append(self._migrate_one(instance_id, target_definition, dry_run,
                                                 actor))
            except (InstanceFailed, Conflict) as err:  # this one stays as it was
                reports.append({"instance_id": instance_id, "migrated": False,
                                "to_version": target_definition.version,
                                "mapped_tasks": [], "dropped_tasks": [],
                                "refusals": [f"could not be moved: {err}"]})
        return reports

    def _migrate_one(self, instance_id: str, target_definition: ProcessDefinition,
                     dry_run: bool, actor: str | None) -> dict[str, Any]:
        now = self.clock.now()
        with self.transaction() as session:
            step = self._load(session, instance_id, now)
            report = {"instance_id": instance_id,
                      "from_version": step.instance.definition_version,
                      "to_version": target_definition.version, "migrated": False,
                      "mapped_tasks": [], "dropped_tasks": [], "refusals": []}
            if step.instance.status != "running":
                report["refusals"].append(f"the instance is {step.instance.status}")
                return report
            if target_definition.version <= step.instance.definition_version:
                report["refusals"].append(
                    f"already on version {step.instance.definition_version}")
                return report
            self._advance(step)  # limits that passed before the move are recorded first
            target = self.specs.get(target_definition)
            plan = plan_migration(step.workflow, target)
            report.update(mapped_tasks=plan.mapped_tasks, dropped_tasks=plan.dropped_tasks,
                          refusals=plan.refusals)
            if dry_run or not plan.possible:
                session.rollback()
                return report
            self._run(step, lambda: apply_migration(step.workflow, target, plan))
            step.parsed = target
            step.instance.definition_id = target_definition.id
            step.instance.definition_version = target_definition.version
            step.record("migrated", actor=actor, detail={
                "from_version": report["from_version"], "to_version": report["to_version"],
                "mapped_tasks": plan.mapped_tasks, "dropped_tasks": plan.dropped_tasks})
            self._advance(step)
            self._save(step)
            try:  # the state we are about to commit must load again
                restore_workflow(step.instance.state, target.spec, target.subprocess_specs)
            except Exception as err:
                raise InstanceFailed(f"the migrated state would not load: {err}") from err
            report["migrated"] = True
            return report

    def fire_due_timers(
        self, worker_id: str, batch_size: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> int:
        """Claim due timers (leased, so a crashed worker's batch is retried) and fire them.

        Returns the number of timers that fired.
        """
        now = self.clock.now()
        instance_ids = self._claim_due_timers(worker_id, now, batch_size, lease)
        fired = 0
        for instance_id in instance_ids:
            try:
                with self.transaction() as session:
                    step = self._load(session, instance_id, now)
                    step.timer_actor = worker_id
                    self._advance(step)
                    self._save(step)
                    fired += step.timers_fired
            except Exception:
                # Leave the lease in place: the timers are retried when it expires.
                log.exception("firing timers of instance %s failed", instance_id)
        return fired

    def repair_untriggered_event_subprocesses(
        self, *, dry_run: bool = False, actor: str = "repair"
    ) -> list[dict[str, Any]]:
        """Cancel, in every running instance, the event sub-process tasks no event
        triggered (left by a spec an earlier run changed; see repair.py), then let each
        instance go on: one that only waited for them ends. One report per instance
        changed (or, in a dry run, that would change); each in its own transaction."""
        with self.reading() as session:
            running = list(session.scalars(
                select(ProcessInstance.id).where(ProcessInstance.status == "running")
                .order_by(ProcessInstance.started_at, ProcessInstance.id)))
        reports = []
        for instance_id in running:
            with self.transaction() as session:
                step = self._load(session, instance_id, self.clock.now())
                cancelled = cancel_untriggered(step.workflow)
                if not cancelled:
                    continue
                instance = step.instance
                report = {"instance_id": instance_id, "business_key": instance.business_key,
                          "definition": f"{instance.definition_key} v"
                                        f"{instance.definition_version}",
                          "cancelled": cancelled, "ended": False}
                reports.append(report)
                if dry_run:
                    session.rollback()
                    continue
                step.record("repaired", actor=actor, detail={
                    "cancelled": cancelled,
                    "reason": "event sub-process predicted from a changed spec"})
                # The end join waited for the cancelled tasks: let it look again.
                self._run(step, partial(recheck_waiting, step.workflow))
                self._advance(step)
                self._save(step)
                report["ended"] = instance.status == "completed"
        return reports

    # -------------------------------------------------------------------- queries

    def reading(self):
        """A read-only session (on SQLite it does not wait for writers)."""
        return reading(self.sessions)

    def search_tasks(self, where: TaskFilter, page: int = 1, per_page: int = 20) -> Page:
        with self.reading() as session:
            return search_tasks(session, where, self.clock.now(), page, per_page)

    def search_instances(self, where: InstanceFilter, page: int = 1, per_page: int = 20) -> Page:
        with self.reading() as session:
            return search_instances(session, where, page, per_page)

    def search_notifications(self, where: NotificationFilter, page: int = 1,
                             per_page: int = 20) -> Page:
        with self.reading() as session:
            return search_notifications(session, where, page, per_page)

    def notification(self, notification_id: int,
                     recipients_seen: list[str] | None) -> Notification | None:
        """One notification, if it is addressed to one of `recipients_seen` (None: any)."""
        with self.reading() as session:
            return visible_notification(session, notification_id, recipients_seen)

    def mark_notifications_read(self, ids: list[int] | None, recipients_seen: list[str] | None,
                                reader: str) -> int:
        """Mark `ids` (or every unread one) of `recipients_seen` read; how many changed."""
        with self.transaction() as session:
            return mark_read(session, ids, recipients_seen, reader, self.clock.now())

    def get_task(self, task_id: str) -> HumanTask:
        with self.reading() as session:
            task = session.get(HumanTask, task_id)
            if task is None:
                raise TaskNotFound(task_id)
            return task

    def department_involved(self, instance_id: str, department: str) -> bool:
        """Whether `department` holds or held a stage of the instance."""
        with self.reading() as session:
            return bool(session.scalar(select(exists().where(
                HumanTask.instance_id == instance_id, HumanTask.department == department
            ))))

    def definitions(self) -> list[tuple[ProcessDefinition, int]]:
        """The newest version of each process key, with its number of versions."""
        with self.reading() as session:
            return latest_definitions(session)

    def versions(self, kind: str, key: str) -> list:
        """Every version of process or decision `key`, newest first (NotFound if none)."""
        model = ProcessDefinition if kind == "process" else DecisionDefinition
        with self.reading() as session:
            rows = list(session.scalars(select(model).where(model.key == key)
                                        .order_by(model.version.desc())))
        if not rows:
            raise (DefinitionNotFound if kind == "process" else DecisionNotFound)(key)
        return rows

    def running_instances_by_version(self, key: str) -> dict[int, int]:
        with self.reading() as session:
            return dict(session.execute(
                select(ProcessInstance.definition_version, func.count())
                .where(ProcessInstance.definition_key == key,
                       ProcessInstance.status == "running")
                .group_by(ProcessInstance.definition_version)).all())

    def decision_tables(self) -> list[tuple[DecisionDefinition, int]]:
        """The newest version of each decision table, with its number of versions."""
        with self.reading() as session:
            return latest_definitions(session, DecisionDefinition)

    def decision_definition(self, key: str, version: int | None = None) -> DecisionDefinition:
        with self.reading() as session:
            return find_decision(session, key, version)

    def definition(self, key: str, version: int | None = None) -> ProcessDefinition:
        with self.reading() as session:
            return find_definition(session, key, version)

    def form_schema(self, definition_id: int, form: str | None) -> dict[str, Any] | None:
        """The JSON Schema of `form` as deployed with that definition version."""
        if form is None:
            return None
        parsed = self.specs.cached(definition_id)
        if parsed is None:
            with self.reading() as session:
                parsed = self._parsed(session, definition_id)
        return parsed.forms.get(form)

    def start_form(self, definition: ProcessDefinition) -> tuple[str, dict] | None:
        """Name and schema of the form a start of `definition` must satisfy."""
        parsed = self.specs.get(definition)
        if form := start_property(parsed, FORM_PROPERTY):
            return form, parsed.forms.get(form, {})
        return None

    def ladder_rungs(self, session: Session) -> dict[str, list[Rung]]:
        """The deployed escalation ladder's rungs by limit kind (none without one)."""
        return self._ladder.rungs(session)

    def start_decision(self, definition: ProcessDefinition) -> str | None:
        """The decision table whose outputs join a new instance's data, if any."""
        return start_property(self.specs.get(definition), START_DECISION_PROPERTY)

    def get_instance(self, instance_id: str) -> ProcessInstance:
        with self.reading() as session:
            instance = session.get(ProcessInstance, instance_id)
            if instance is None:
                raise InstanceNotFound(instance_id)
            return instance

    def find_instance(self, key: str, business_key: str) -> ProcessInstance | None:
        with self.reading() as session:
            return session.scalars(select(ProcessInstance).where(
                ProcessInstance.definition_key == key,
                ProcessInstance.business_key == business_key,
            )).first()

    def timeline(self, instance_id: str) -> list[TimelineEvent]:
        with self.reading() as session:
            return list(session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.instance_id == instance_id)
                .order_by(TimelineEvent.id)
            ))

    def tasks(
        self,
        *,
        instance_id: str | None = None,
        department: str | None = None,
        state: str | None = "open",
    ) -> list[HumanTask]:
        with self.reading() as session:
            return _tasks(session, instance_id=instance_id, department=department, state=state)

    def next_timer_due(self) -> datetime | None:
        """When the earliest pending timer is due, or None if none is pending."""
        with self.reading() as session:
            return session.scalar(
                select(Timer.due_at).where(Timer.state == "pending").order_by(Timer.due_at).limit(1)
            )

    def timers(self, instance_id: str, state: str | None = None) -> list[Timer]:
        query = select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.due_at)
        if state is not None:
            query = query.where(Timer.state == state)
        with self.reading() as session:
            return list(session.scalars(query))

    # ------------------------------------------------------------ unit of work

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits at the end or not at all; a lost race is a
        Conflict (InstanceChanged, Busy), never a silent overwrite."""
        with self.sessions() as session:
            try:
                with session.begin():
                    yield session
            except StaleDataError as err:
                raise InstanceChanged(str(err)) from None
            except OperationalError as err:
                if not _is_lock_contention(err):
                    raise
                raise Busy(str(err.orig).splitlines()[0]) from None

    def _load(self, session: Session, instance_id: str, now: datetime) -> Step:
        instance = session.get(ProcessInstance, instance_id, with_for_update=True)
        if instance is None:
            raise InstanceNotFound(instance_id)
        parsed = self._parsed(session, instance.definition_id)
        workflow = restore_workflow(instance.state, parsed.spec, parsed.subprocess_specs)
        # The script engine is not serialized: attach the restricted one on every load.
        workflow.script_engine = self._script_engine
        return Step(session, instance, workflow, parsed, now)

    def _parsed(self, session: Session, definition_id: int) -> ParsedProcess:
        """A version's parsed spec; its row (with the large serialized spec) is read only
        the first time this process needs that version."""
        parsed = self.specs.cached(definition_id)
        if parsed is None:
            parsed = self.specs.get(session.get(ProcessDefinition, definition_id))
        return parsed

    def _advance(self, step: Step) -> None:
        """Fire timers due by now, run automatic steps, and bring the records in line."""

        def run_engine() -> None:
            step.workflow.refresh_timers()
            step.workflow.do_engine_steps(did_complete_task=step.note_completed)

        self._run(step, run_engine)
        step.observe()
        self._sync_human_tasks(step)
        pending = list(step.session.scalars(select(Timer).where(
            Timer.instance_id == step.instance.id, Timer.state == "pending",
        ).order_by(Timer.due_at, Timer.id)))
        self._sync_timers(step, [row for row in pending if row.kind != RUNG])
        record_thrown_events(step)
        self._ladder.sync(step, [row for row in pending if row.kind == RUNG])
        self._record_end(step)

    def _run(self, step: Step, action) -> None:
        with spiff_time(FixedClock(step.now)):
            try:
                action()
            except SpiffWorkflowException as err:
                raise InstanceFailed(f"instance {step.instance.id}: {err}") from err

    def _save(self, step: Step) -> None:
        instance = step.instance
        instance.state = dump_workflow(step.workflow)
        instance.variables = _process_variables(step.workflow)
        instance.updated_at = step.now
        step.session.flush()

    # ------------------------------------------------------------- record keeping

    def _sync_human_tasks(self, step: Step) -> None:
        session, instance = step.session, step.instance
        stages = {str(stage.task.id): stage for stage in step.stages}
        limits = step.limit_timers()
        known = {
            row.id: row for row in session.scalars(select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.state == "open"
            ))
        }
        for task_id, row in known.items():
            gone = task_id not in stages
            if gone and _task_state(step.workflow, task_id) != TaskState.COMPLETED:
                row.state = "cancelled"
                step.record("task_cancelled", stage=row.stage, department=row.department)
        for task_id, stage in stages.items():
            timer = limits.get((task_id, "stage"))
            department_timer = limits.get((task_id, "department"))
            row = known.get(task_id)
            if row is not None:  # still open; its stage may have moved to a new version
                row.department, row.definition_id = stage.department, instance.definition_id
                row.stage_name, row.form, row.lane = stage.stage_name, stage.form, stage.lane
                row.instructions = stage.instructions
                continue
            limit = timer.limit if timer else None
            row = HumanTask(
                id=task_id, instance_id=instance.id, definition_id=instance.definition_id,
                definition_key=instance.definition_key,
                business_key=instance.business_key, stage=stage.stage,
                stage_name=stage.stage_name, lane=stage.lane, department=stage.department,
                form=stage.form, instructions=stage.instructions, stage_limit=limit,
                department_limit=department_timer.limit if department_timer else None,
                state="open", created_at=step.now, due_at=timer.due_at if timer else None,
            )
            session.add(row)
            step.opened.append(row)
            step.record("task_ready", stage=stage.stage, department=stage.department,
                        detail={"form": stage.form, "limit": limit,
                                "due_at": iso(timer.due_at) if timer else None,
                                "department_limit": row.department_limit})

    def _sync_timers(self, step: Step, rows: list[Timer]) -> None:
        """Bring the pending limit-timer `rows` in line with the workflow's timers."""
        session, instance = step.session, step.instance
        waiting = {str(timer.task.id): timer for timer in step.timers}
        pending = {row.id: row for row in rows}
        for timer_id, row in pending.items():
            timer = waiting.get(timer_id)
            if timer is not None and timer.stage_task is not None:  # may have moved lanes
                row.lane = timer.stage_task.task_spec.lane
                row.department = department_of(timer.stage_task)
            if timer is not None and timer.due_at == row.due_at:
                continue  # still waiting for the same moment
            fired = timer is not None or _timer_fired(step.workflow, timer_id)
            if fired:
                step.timers_fired += 1
                step.record("timer_fired", actor=step.timer_actor,
                            stage=row.stage, department=row.department,
                            detail={"timer": row.element_id, "kind": row.kind,
                                    "due_at": iso(row.due_at)})
            if timer is not None:  # a cycle timer fired and now waits for its next turn
                row.due_at = timer.due_at
            else:
                row.state = "fired" if fired else "cancelled"
                row.fired_at = step.now if fired else None
            row.lease_owner = row.lease_expires_at = None
        for timer_id, timer in waiting.items():
            if timer_id in pending:
                continue
            stage_task = timer.stage_task
            session.add(Timer(
                id=timer_id, instance_id=instance.id, kind=timer.kind,
                element_id=timer.element_id,
                task_id=str(stage_task.id) if stage_task else None,
                stage=stage_task.task_spec.bpmn_id if stage_task else None,
                lane=stage_task.task_spec.lane if stage_task else None,
                department=department_of(stage_task) if stage_task else None,
                due_at=timer.due_at, applied_limit=timer.limit, state="pending",
            ))

    def _record_end(self, step: Step) -> None:
        instance = step.instance
        if instance.status == "running" and step.workflow.is_completed():
            instance.status = "completed"
            instance.ended_at = step.now
            held = (step.now - instance.started_at).total_seconds()
            step.record("ended", detail={"duration_seconds": held})
            step.publish("instance_ended")

    # -------------------------------------------------------------------- helpers

    def _claim_due_timers(
        self, worker_id: str, now: datetime, batch_size: int, lease: timedelta
    ) -> list[str]:
        with self.transaction() as session:
            rows = session.scalars(due_timers(now, batch_size)).all()
            for row in rows:
                row.lease_owner, row.lease_expires_at = worker_id, now + lease
            return list(dict.fromkeys(row.instance_id for row in rows))

    @staticmethod
    def _open_task(
        session: Session, task_id: str, department: str | None, *, lock: bool = False
    ) -> HumanTask:
        human = session.get(HumanTask, task_id, with_for_update=lock, populate_existing=lock)
        if human is None or (department is not None and human.department != department):
            raise TaskNotFound(task_id)  # another department's task is not shown to exist
        if human.state != "open":
            raise TaskNotOpen(task_id, human.state)
        return human

    @staticmethod
    def _prior_start(
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

    def check_start(self, key: str, variables: dict[str, Any],
                    version: int | None = None) -> PreparedStart:
        """The variables a start of `key` would run with (form defaults filled in, the
        start decision's outputs added); FormValidationError lists every bad field."""
        with self.reading() as session:
            definition = find_definition(session, key, version)
            return PreparedStart(key, definition.version,
                                 self._prepare_start(session, definition, dict(variables)))

    def _prepare_start(self, session: Session, definition: ProcessDefinition,
                       variables: dict[str, Any]) -> dict[str, Any]:
        start_form = self.start_form(definition)
        name, schema = start_form or ("start", None)
        if schema is not None:
            variables = with_defaults(schema, variables)
            variables = self._with_supervisor(schema, variables)
        self._validate(name, schema, variables)
        decision_key = self.start_decision(definition)
        if decision_key is None:
            return variables
        try:
            parsed = self.specs.decision(find_decision(session, decision_key))
        except DecisionNotFound:
            raise InstanceFailed(f"{definition.key} starts with the decision table "
                                 f"{decision_key!r}, which is not deployed") from None
        return {**variables, **evaluate_decision(parsed, variables)}

    def _with_supervisor(self, schema: dict, variables: dict[str, Any]) -> dict[str, Any]:
        """Fill in the Supervisor lane's department, where the start form has one and the
        caller gave none: the acceptance department's supervising unit (the department
        itself when it has none)."""
        acceptance = variables.get("acceptance_department")
        if (SUPERVISOR_VARIABLE not in (schema.get("properties") or {})
                or variables.get(SUPERVISOR_VARIABLE) or self.directory is None
                or not isinstance(acceptance, str) or acceptance not in self.directory):
            return variables
        entry = self.directory.get(acceptance)
        return {**variables, SUPERVISOR_VARIABLE: entry.supervisor or acceptance}

    def _validate(self, form: str, schema: dict | None, data: dict[str, Any]) -> None:
        """Form data against its schema, and every `*_department` field against the
        directory; FormValidationError lists every problem."""
        errors: list[FieldError] = []
        if schema is not None:
            try:
                validate_form_data(form, schema, data)
            except FormValidationError as err:
                errors.extend(err.errors)
        if self.directory is not None and isinstance(data, dict):
            errors.extend(FieldError(name, f"{value!r} is not a department in the directory")
                          for name, value in data.items()
                          if name.endswith("_department") and isinstance(value, str)
                          and value not in self.directory)
        if errors:
            raise FormValidationError(form, errors)

    def _a_timer_is_due(self, step: Step) -> bool:
        """Whether a limit or a ladder rung of the instance has passed by now."""
        if any(timer.due_at < step.now for timer in waiting_timers(step.workflow)):
            return True
        return step.session.scalar(select(exists().where(
            Timer.instance_id == step.instance.id, Timer.state == "pending",
            Timer.kind == RUNG, Timer.due_at < step.now))) or False


# PostgreSQL: serialization failure, deadlock detected, lock not available.
_CONTENTION_SQLSTATES = {"40001", "40P01", "55P03"}


def _is_lock_contention(err: OperationalError) -> bool:
    sqlstate = getattr(err.orig, "sqlstate", None)
    return sqlstate in _CONTENTION_SQLSTATES or "database is locked" in str(err.orig)


def _waits_for_message(workflow: BpmnWorkflow, name: str) -> bool:
    """Whether a catch event waits for message `name`, or an event sub-process starts
    on it (those can be triggered again and again, e.g. by urges)."""
    if any(event.name == name and event.event_type == MessageEventDefinition.__name__
           for event in workflow.waiting_events()):
        return True
    for spec_name in getattr(workflow.spec.start, "trigger_specs", ()):
        spec = workflow.subprocess_specs.get(spec_name)
        for start in getattr(spec, "bpmn_start_events", ()) if spec else ():
            definition = getattr(start, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                return True
    return False


def _tasks(session: Session, *, instance_id: str | None = None, department: str | None = None,
           state: str | None = "open") -> list[HumanTask]:
    """Stages matching what is given, in the order they opened."""
    query = select(HumanTask).order_by(HumanTask.created_at, HumanTask.id)
    for column, value in ((HumanTask.instance_id, instance_id),
                          (HumanTask.department, department), (HumanTask.state, state)):
        if value is not None:
            query = query.where(column == value)
    return list(session.scalars(query))


def _timer_fired(workflow: BpmnWorkflow, task_id: str) -> bool:
    """Whether a timer task that stopped waiting did so by firing (not by cancellation).
    A cycle timer's last firing leaves it READY, flagged, rather than COMPLETED."""
    task = workflow.get_task_from_id(UUID(task_id))
    return task is not None and (
        task.state == TaskState.COMPLETED or bool(task.internal_data.get("event_fired"))
    )


def _task_state(workflow: BpmnWorkflow, task_id: str) -> TaskState | None:
    task = workflow.get_task_from_id(UUID(task_id))
    return task.state if task is not None else None


def _process_variables(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The order's current data: what its open stages see, or its final data."""
    ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    merged: dict[str, Any] = {}
    for task in ready or ([workflow.last_task] if workflow.last_task else []):
        merged.update(task.data)
    return to_json_safe(merged)


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    """Field values short enough for a timeline line."""
    summary = {}
    for name, value in data.items():
        if isinstance(value, str) and len(value) > SUMMARY_VALUE_LENGTH:
            value = value[: SUMMARY_VALUE_LENGTH - 1] + "…"
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = f"<{type(value).__name__}>"
        summary[name] = value
    return summary


