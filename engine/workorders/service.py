"""Complaint work orders: intake, numbering, following an order, and what departments
do to it (urge, transfer, send back, audit).

Intake checks a submission against the category tree and the flow's start form,
routes it through the routing table, gives it a readable number and starts the flow
with that number as business key, recording the order in the same transaction. The
operations are the diagrams' own moves: a transfer completes the handling stage with
action "transfer", an urge is the message the diagrams' urge sub-process waits for.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError, validate_form_data
from engine.errors import (
    Forbidden,
    NoRoute,
    NoStageFor,
    NothingToUrge,
    ReferenceReused,
    WorkOrderNotFound,
)
from engine.process_engine import PreparedStart, ProcessEngine
from engine.reference.categories import Categories, under
from engine.reference.settings import Settings
from engine.runtime.limits import OVERDUE_CODES
from engine.runtime.sandbox import lane_variable, parse_duration
from engine.runtime.serialization import fingerprint_of
from engine.store.models import (
    HumanTask,
    Notification,
    ProcessInstance,
    TimelineEvent,
    WorkOrder,
    WorkOrderCounter,
)
from engine.store.queries import Page, paginate
from engine.workorders.hotspots import check_hotspots

URGE_MESSAGE = "urge"
# The timeline entries of an urge and a transfer (escalations the diagrams throw).
URGED, TRANSFERRED = "urged", "transferred"
# Timeline events counted on every order (the escalation codes the diagrams throw).
COUNTED_EVENTS = {"urges": URGED, "transfers": TRANSFERRED, "returns": "sent_back",
                  "audit_rejections": "audit_rejected",
                  "supervisor_referrals": "reassignment_capped"}
# What intake records of a submission besides its fields of the work_orders table.
SUBMISSION_FIELDS = ("customer_phone", "category", "content", "channel",
                     "acceptance_department", "customer_tier", "customer_note", "urgency",
                     "key_fields")


@dataclass(frozen=True)
class SubmitResult:
    number: str
    created: bool  # False: an identical earlier submission is returned


@dataclass(frozen=True)
class WorkOrderFilter:
    status: str | None = None  # open | closed
    department: str | None = None  # holds an open stage now
    acceptance_department: str | None = None
    category: str | None = None  # a category, or a business or business/phenomenon prefix
    overdue: bool | None = None  # an open stage is past its limit
    customer_phone: str | None = None
    urgency: str | None = None
    customer_tier: str | None = None
    channel: str | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    # Scopes, set by who asks rather than by the query:
    submitted_by: str | None = None  # an integrator's own orders
    involving: str | None = None  # orders a department accepted or worked


@dataclass
class OrderSummary:
    """A work order with what is happening to it now."""

    order: WorkOrder
    instance: ProcessInstance
    open_tasks: list[HumanTask]
    department_due: dict[str, datetime]  # open task id -> when its department total runs out

    @property
    def status(self) -> str:
        return "open" if self.instance.status == "running" else "closed"


@dataclass
class OrderDetail(OrderSummary):
    timeline: list[TimelineEvent] = field(default_factory=list)
    stages: list[HumanTask] = field(default_factory=list)  # every stage, in order

    def durations(self, now: datetime) -> dict[str, list[dict[str, Any]]]:
        """How long each stage and each department (per lane) held the order, against
        the limit that applied; an open stage counts up to `now`."""
        stages, departments = [], {}
        for task in self.stages:
            if task.state == "cancelled":
                continue
            end = task.completed_at or now
            held = (end - task.created_at).total_seconds()
            stages.append({
                "stage": task.stage, "stage_name": task.stage_name, "lane": task.lane,
                "department": task.department, "state": task.state,
                "opened_at": task.created_at, "completed_at": task.completed_at,
                "held_seconds": held, "limit": task.stage_limit, "due_at": task.due_at,
                "within_limit": None if task.due_at is None else end <= task.due_at})
            total = departments.setdefault((task.lane, task.department), {
                "lane": task.lane, "department": task.department, "held_seconds": 0.0,
                "limit": task.department_limit})
            total["held_seconds"] += held
            total["limit"] = task.department_limit or total["limit"]
        for total in departments.values():
            limit = parse_duration(total["limit"]).total_seconds() if total["limit"] else None
            total["within_limit"] = None if limit is None else total["held_seconds"] <= limit
        return {"stages": stages, "departments": list(departments.values())}

    @property
    def counts(self) -> dict[str, int]:
        seen = Counter(event.type for event in self.timeline)
        return {name: seen[event] for name, event in COUNTED_EVENTS.items()}

    @property
    def lapses(self) -> list[TimelineEvent]:
        return [e for e in self.timeline if e.type in OVERDUE_CODES]

    @property
    def escalations(self) -> list[TimelineEvent]:
        return [e for e in self.timeline if e.type == "escalated"]


class WorkOrders:
    def __init__(self, engine: ProcessEngine, categories: Categories,
                 settings: Settings | None = None) -> None:
        self.engine = engine
        self.categories = categories
        self.settings = settings or Settings()

    # ----------------------------------------------------------------- intake

    def submit(self, submission: dict[str, Any], submitted_by: str,
               idempotency_key: str | None = None) -> SubmitResult:
        """Record, route and start a complaint. A retry of the same submission (same
        Idempotency-Key or external reference, same content) returns the same order."""
        submission = {k: v for k, v in submission.items() if v is not None}
        fingerprint = fingerprint_of(submission)
        reference = submission.get("external_reference")
        prior = self._prior(submitted_by, idempotency_key, reference, fingerprint)
        if prior is not None:
            return SubmitResult(prior, created=False)
        prepared = self._route_and_check(submission)
        variables = prepared.variables
        number = self._next_number()

        def record(session: Session, instance: ProcessInstance) -> None:
            now = self.engine.clock.now()
            order = WorkOrder(
                number=number, instance_id=instance.id, flow=prepared.key,
                customer_phone=variables["customer_phone"], category=variables["category"],
                channel=variables["channel"], content=variables["content"],
                acceptance_department=variables["acceptance_department"],
                customer_tier=str(variables.get("customer_tier", "")),
                urgency=str(variables.get("urgency", "")),
                submitted_by=submitted_by, submitted_at=now,
                external_reference=reference, idempotency_key=idempotency_key,
                fingerprint=fingerprint)
            session.add(order)
            session.flush()
            check_hotspots(session, order, instance, self.settings.hotspots, now,
                           department=variables.get("processing_department")
                           or variables["acceptance_department"])

        try:
            self.engine.start_prepared(prepared, number, actor=submitted_by, on_create=record)
        except IntegrityError:
            # An identical submission won the race; its order is visible now.
            prior = self._prior(submitted_by, idempotency_key, reference, fingerprint)
            if prior is None:
                raise
            return SubmitResult(prior, created=False)
        return SubmitResult(number, created=True)

    def _route_and_check(self, submission: dict[str, Any]) -> PreparedStart:
        """The flow to start and its variables as the start will have them (form
        defaults, service level); FormValidationError lists every invalid field."""
        errors: list[FieldError] = []
        variables = {k: submission[k] for k in SUBMISSION_FIELDS if k in submission}
        variables.setdefault("key_fields", {})
        category = self.categories.get(submission.get("category", ""))
        route: dict[str, Any] = {}
        prepared: PreparedStart | None = None
        if category is None:
            errors.append(FieldError("category", "is not a category of the tree "
                                                 "(GET /api/v1/categories lists them)"))
        else:
            errors.extend(_prefixed("key_fields", self._key_field_errors(category, variables)))
            try:
                route = self.engine.route(category.path)
            except NoRoute as err:
                errors.append(FieldError("category", f"{err}; tell the process designers"))
        if route:
            variables.update({k: v for k, v in route.items()
                              if k.endswith("_department") and v})
            try:
                prepared = self.engine.check_start(route["flow"], variables)
            except FormValidationError as err:
                errors.extend(err.errors)
        if errors:
            raise FormValidationError("work order", _unique(errors))
        assert prepared is not None  # no error: the category routed and the start checked
        return prepared

    def _key_field_errors(self, category, variables) -> list[FieldError]:
        try:
            validate_form_data("key_fields", self.categories.key_field_schema(category),
                               variables["key_fields"])
        except FormValidationError as err:
            return err.errors
        return []

    def _next_number(self) -> str:
        """WO-<local date>-<sequence of the day>; a failed intake leaves a gap."""
        numbering = self.settings.work_orders
        now = self.engine.clock.now().astimezone(numbering.time_zone)
        day = now.strftime("%Y%m%d")
        for attempt in range(3):
            try:
                with self.engine.transaction() as session:
                    counter = session.get(WorkOrderCounter, day, with_for_update=True)
                    if counter is None:
                        counter = WorkOrderCounter(day=day, last=0)
                        session.add(counter)
                    counter.last += 1
                    sequence = counter.last
                return f"{numbering.number_prefix}-{day}-{sequence:06d}"
            except IntegrityError:  # another process opened the day's counter first
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _prior(self, submitted_by: str, idempotency_key: str | None, reference: str | None,
               fingerprint: str) -> str | None:
        checks = [("Idempotency-Key", WorkOrder.idempotency_key, idempotency_key),
                  ("external_reference", WorkOrder.external_reference, reference)]
        with self.engine.reading() as session:
            for what, column, value in checks:
                if value is None:
                    continue
                order = session.scalar(select(WorkOrder).where(
                    WorkOrder.submitted_by == submitted_by, column == value))
                if order is None:
                    continue
                if order.fingerprint != fingerprint:
                    raise ReferenceReused(f"{what} {value!r}", order.number)
                return order.number
        return None

    # -------------------------------------------------------------- following

    def get(self, number: str) -> WorkOrder:
        with self.engine.reading() as session:
            order = session.get(WorkOrder, number)
        if order is None:
            raise WorkOrderNotFound(number)
        return order

    def involves(self, order: WorkOrder, department: str) -> bool:
        """Whether `department` accepted the order, holds or held a stage of it, or was
        told about it (a supervisor of a breach, a department alerted to a hotspot)."""
        with self.engine.reading() as session:
            return bool(session.scalar(select(WorkOrder.number).where(
                WorkOrder.number == order.number, _involving(department))))

    def detail(self, number: str) -> OrderDetail:
        return self.describe(self.get(number))

    def describe(self, order: WorkOrder) -> OrderDetail:
        """An order's state, open stages with their clocks, and its whole timeline."""
        with self.engine.reading() as session:
            summary = self._summaries(session, [order])[0]
            timeline = list(session.scalars(select(TimelineEvent).where(
                TimelineEvent.instance_id == order.instance_id).order_by(TimelineEvent.id)))
            stages = list(session.scalars(select(HumanTask).where(
                HumanTask.instance_id == order.instance_id)
                .order_by(HumanTask.created_at, HumanTask.id)))
        return OrderDetail(summary.order, summary.instance, summary.open_tasks,
                           summary.department_due, timeline, stages)

    def search(self, where: WorkOrderFilter, page: int = 1, per_page: int = 20) -> Page:
        """Orders matching `where`, newest first, each with its open stages."""
        query = _filtered(select(WorkOrder).join(
            ProcessInstance, ProcessInstance.id == WorkOrder.instance_id),
            where, self.engine.clock.now())
        query = query.order_by(WorkOrder.submitted_at.desc(), WorkOrder.number.desc())
        with self.engine.reading() as session:
            found = paginate(session, query, page, per_page)
            items = self._summaries(session, found.items)
        return Page(items, found.total, found.page, found.per_page)

    @staticmethod
    def _summaries(session: Session, orders: list[WorkOrder]) -> list[OrderSummary]:
        ids = [order.instance_id for order in orders]
        instances = {i.id: i for i in session.scalars(
            select(ProcessInstance).where(ProcessInstance.id.in_(ids)))}
        tasks: dict[str, list[HumanTask]] = {i: [] for i in ids}
        for task in session.scalars(select(HumanTask).where(
                HumanTask.instance_id.in_(ids), HumanTask.state == "open")
                .order_by(HumanTask.created_at, HumanTask.id)):
            tasks[task.instance_id].append(task)
        held: dict[tuple, timedelta] = defaultdict(timedelta)  # earlier stages, per budget
        for instance_id, lane, department, opened, closed in session.execute(
                select(HumanTask.instance_id, HumanTask.lane, HumanTask.department,
                       HumanTask.created_at, HumanTask.completed_at).where(
                    HumanTask.instance_id.in_(ids), HumanTask.state == "completed")):
            held[(instance_id, lane, department)] += closed - opened
        return [OrderSummary(order, instances[order.instance_id], tasks[order.instance_id],
                             {t.id: _department_due(t, held) for t in tasks[order.instance_id]
                              if t.department_limit})
                for order in orders]

    # ------------------------------------------------------------- operations

    def urge(self, number: str, department: str, actor: str, note: str | None = None) -> None:
        """The acceptance department presses the departments holding the order."""
        order = self.get(number)
        if department != order.acceptance_department:
            raise Forbidden(f"only the acceptance department ({order.acceptance_department}) "
                            f"urges work order {number}")

        limits = self.settings.work_orders

        def may_be_urged(session: Session, instance: ProcessInstance,
                         open_tasks: list[HumanTask]) -> None:
            if instance.status != "running":
                raise NothingToUrge(number, "it is closed")
            if not open_tasks:
                raise NothingToUrge(number, "no department holds it now")
            if all(task.department == department for task in open_tasks):
                raise NothingToUrge(number, "it is with your own department")
            count, last = session.execute(select(func.count(), func.max(TimelineEvent.at))
                                          .where(TimelineEvent.instance_id == instance.id,
                                                 TimelineEvent.type == URGED)).one()
            if count >= limits.urge_max_per_order:
                raise NothingToUrge(number, f"it was urged {count} times, the most an order "
                                            "takes; call its supervisor")
            if last is not None and self.engine.clock.now() - last < limits.urge_min_interval:
                again = last + limits.urge_min_interval
                raise NothingToUrge(number, f"it was urged at {last.isoformat()}; urge it "
                                            f"again from {again.isoformat()}")

        self.engine.deliver_message(order.instance_id, URGE_MESSAGE, {"note": note},
                                    actor, department=department, reason=note,
                                    check=may_be_urged)

    def transfer(self, number: str, department: str, actor: str, to_department: str,
                 reason: str) -> None:
        """Pass the order to another department, which starts with fresh clocks."""
        task = self._stage_offering(number, department, "transfer", "transferred")
        if to_department == department:
            raise FormValidationError("transfer", [FieldError(
                "to_department", "is your own department; transfer to another one")])
        target = lane_variable(task.lane)
        self._complete(task, {"action": "transfer", target: to_department, "reason": reason},
                       actor, department, renamed={target: "to_department"})

    def send_back(self, number: str, department: str, actor: str, reason: str) -> None:
        """Return the order to the department that dispatched it."""
        task = self._stage_offering(number, department, "send_back", "sent back")
        self._complete(task, {"action": "send_back", "reason": reason}, actor, department)

    def audit(self, number: str, department: str, actor: str, approved: bool,
              reason: str | None = None) -> None:
        """Accept the handling result, or reject it back to the processing department."""
        task = self._stage_with_field(number, department, "approved", "audited")
        data = {"approved": approved, **({"reason": reason} if reason else {})}
        self._complete(task, data, actor, department)

    def _complete(self, task: HumanTask, data: dict[str, Any], actor: str, department: str,
                  renamed: dict[str, str] | None = None) -> None:
        """Complete `task`; form errors name this operation's fields, not the form's."""
        try:
            self.engine.complete_task(task.id, data, actor, department=department)
        except FormValidationError as err:
            renamed = renamed or {}
            raise FormValidationError(err.form, [
                FieldError(renamed.get(e.field, e.field), e.message) for e in err.errors
            ]) from None

    def _stage_offering(self, number: str, department: str, action: str,
                        done: str) -> HumanTask:
        """The caller's open stage whose form offers `action`."""
        return self._open_stage(number, department, done, lambda schema: action in (
            (schema.get("properties", {}).get("action") or {}).get("enum") or ()))

    def _stage_with_field(self, number: str, department: str, name: str,
                          done: str) -> HumanTask:
        return self._open_stage(number, department, done,
                                lambda schema: name in schema.get("properties", {}))

    def _open_stage(self, number: str, department: str, done: str, fits) -> HumanTask:
        order = self.get(number)
        for task in self.engine.tasks(instance_id=order.instance_id, department=department):
            if fits(self.engine.form_schema(task.definition_id, task.form) or {}):
                return task
        raise NoStageFor(number, department, done)


def _department_due(task: HumanTask, held: dict[tuple, timedelta]) -> datetime:
    """When the department's total for this order runs out in this stage: its limit
    less what its earlier stages in the lane took (past, once it has run out)."""
    used = held[(task.instance_id, task.lane, task.department)]
    return task.created_at + parse_duration(task.department_limit) - used


def _filtered(query: Select, where: WorkOrderFilter, now: datetime) -> Select:
    equal = {WorkOrder.acceptance_department: where.acceptance_department,
             WorkOrder.customer_phone: where.customer_phone, WorkOrder.urgency: where.urgency,
             WorkOrder.customer_tier: where.customer_tier, WorkOrder.channel: where.channel,
             WorkOrder.submitted_by: where.submitted_by}
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if where.status is not None:
        query = query.where(ProcessInstance.status ==
                            ("running" if where.status == "open" else "completed"))
    if where.category is not None:
        query = query.where(under(WorkOrder.category, where.category))
    if where.submitted_from is not None:
        query = query.where(WorkOrder.submitted_at >= where.submitted_from)
    if where.submitted_to is not None:
        query = query.where(WorkOrder.submitted_at < where.submitted_to)
    if where.department is not None:
        query = query.where(_has_open_task(HumanTask.department == where.department))
    if where.overdue is not None:
        late = _has_open_task(HumanTask.due_at < now)
        query = query.where(late if where.overdue else ~late)
    if where.involving is not None:
        query = query.where(_involving(where.involving))
    return query


def _involving(department: str) -> Any:
    return or_(
        WorkOrder.acceptance_department == department,
        exists().where(HumanTask.instance_id == WorkOrder.instance_id,
                       HumanTask.department == department),
        exists().where(Notification.instance_id == WorkOrder.instance_id,
                       Notification.recipient == department))


def _has_open_task(condition) -> Any:
    return exists().where(HumanTask.instance_id == WorkOrder.instance_id,
                          HumanTask.state == "open", condition)


def _prefixed(prefix: str, errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(prefix if e.field == "(form)" else f"{prefix}.{e.field}", e.message)
            for e in errors]


def _unique(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))

