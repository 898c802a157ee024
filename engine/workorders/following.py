"""Following work orders: one order with its open stages, clocks, counts and timeline;
searches over orders; who may see an order."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.process_engine import ProcessEngine
from engine.reference.categories import under
from engine.reference.settings import Settings
from engine.runtime.limits import OVERDUE_CODES
from engine.runtime.sandbox import parse_duration
from engine.store.models import (
    HumanTask,
    Notification,
    ProcessInstance,
    TimelineEvent,
    Timer,
)
from engine.store.queries import Page, paginate
from engine.working_time import WorkingCalendar
from engine.workorders.liability import judgments_of
from engine.workorders.models import LiabilityJudgment, WorkOrder, find_order
from engine.workorders.repeats import earlier_orders

# The timeline entries of an urge and a transfer (escalations the diagrams throw).
URGED, TRANSFERRED = "urged", "transferred"
# Timeline events counted on every order (the escalation codes the diagrams throw).
COUNTED_EVENTS = {"urges": URGED, "transfers": TRANSFERRED, "returns": "sent_back",
                  "audit_rejections": "audit_rejected",
                  "supervisor_referrals": "reassignment_capped",
                  "reopens": "reopened"}

@dataclass(frozen=True)
class WorkOrderFilter:
    status: str | None = None  # open | closed | withdrawn | cancelled
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
    involving: str | None = None  # orders a department accepted, worked or was told of


@dataclass
class OrderSummary:
    """A work order with what is happening to it now."""

    order: WorkOrder
    instance: ProcessInstance
    open_tasks: list[HumanTask]
    # open task id -> when its department total runs out (None while paused)
    department_due: dict[str, datetime | None]

    @property
    def status(self) -> str:
        status = self.instance.status  # withdrawn and cancelled orders say so
        return {"running": "open", "completed": "closed"}.get(status, status)


@dataclass
class OrderDetail(OrderSummary):
    timeline: list[TimelineEvent] = field(default_factory=list)
    stages: list[HumanTask] = field(default_factory=list)  # every stage, in order
    # The customer's orders within the repeat window before this one, newest first.
    # (order, "open" | "closed")
    recent_orders: list[tuple[WorkOrder, str]] = field(default_factory=list)
    judgments: list[LiabilityJudgment] = field(default_factory=list)  # oldest first
    # A department's working calendar, for the working time each stage took.
    calendar_of: Callable[[str], WorkingCalendar] | None = None

    def durations(self, now: datetime) -> dict[str, list[dict[str, Any]]]:
        """How long each stage and each department (per lane) held the order, against
        the limit that applied; an open stage counts up to `now`."""
        stages: list[dict[str, Any]] = []
        departments: dict[tuple[str | None, str], dict[str, Any]] = {}  # (lane, department)
        for task in self.stages:
            if task.state == "cancelled":
                continue
            end = task.completed_at or now
            paused = task.paused_seconds + (
                (end - task.paused_at).total_seconds() if task.paused_at else 0.0)
            held = (end - task.created_at).total_seconds() - paused  # net of pauses
            working = self._working_seconds(task, end)
            stages.append({
                "stage": task.stage, "stage_name": task.stage_name, "lane": task.lane,
                "department": task.department, "state": task.state,
                "opened_at": task.created_at, "completed_at": task.completed_at,
                "held_seconds": held, "paused_seconds": paused,
                "elapsed_seconds": (end - task.created_at).total_seconds(),
                "working_seconds": working,
                "paused_since": task.paused_at,
                "limit": task.stage_limit, "limit_clock": task.stage_clock or "elapsed",
                "due_at": task.due_at,
                "within_limit": None if task.due_at is None else end <= task.due_at})
            if task.department_limit is None and (task.lane, task.department) in departments:
                continue  # a stage outside the department's total (a return visit)
            total = departments.setdefault((task.lane, task.department), {
                "lane": task.lane, "department": task.department, "held_seconds": 0.0,
                "limit": task.department_limit})
            total["held_seconds"] += held
            total["limit"] = task.department_limit or total["limit"]
        for total in departments.values():
            limit = parse_duration(total["limit"]).total_seconds() if total["limit"] else None
            total["within_limit"] = None if limit is None else total["held_seconds"] <= limit
        return {"stages": stages, "departments": list(departments.values())}

    def _working_seconds(self, task: HumanTask, end: datetime) -> float | None:
        """The working time the stage took on its department's calendar, net of the
        working time it stood paused (None without calendars)."""
        if self.calendar_of is None:
            return None
        calendar = self.calendar_of(task.department)
        paused = task.paused_working_seconds + (
            calendar.working_between(task.paused_at, end).total_seconds()
            if task.paused_at else 0.0)
        return calendar.working_between(task.created_at, end).total_seconds() - paused

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



class Following:
    engine: ProcessEngine
    settings: Settings

    def get(self, number: str) -> WorkOrder:
        with self.engine.reading() as session:
            return find_order(session, number)

    def involves(self, order: WorkOrder, department: str) -> bool:
        """Whether `department` accepted the order, holds or held a stage of it, or was
        told about it (a supervisor of a breach, a department alerted to a hotspot)."""
        with self.engine.reading() as session:
            return bool(session.scalar(select(WorkOrder.number).where(
                WorkOrder.number == order.number, _involving(department))))

    def told_only(self, orders: list[WorkOrder], department: str) -> set[str]:
        """The numbers of `orders` that `department` is involved in only by a notification
        (a supervisor told of a breach, a department alerted to a hotspot): it did not
        accept the order and holds no stage of it and never held one. Such a department
        sees the order without the customer's number."""
        candidates = [order for order in orders if order.acceptance_department != department]
        if not candidates:
            return set()
        with self.engine.reading() as session:
            held = set(session.scalars(select(HumanTask.instance_id).where(
                HumanTask.instance_id.in_([order.instance_id for order in candidates]),
                HumanTask.department == department).distinct()))
        return {order.number for order in candidates if order.instance_id not in held}

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
            recent = earlier_orders(session, self.settings.outcomes.repeats,
                                    order.customer_phone, order.category, order.submitted_at,
                                    exclude=order.number)
            running = set(session.scalars(select(ProcessInstance.id).where(
                ProcessInstance.id.in_([o.instance_id for o in recent]),
                ProcessInstance.status == "running")))
            judgments = judgments_of(session, order.number) if order.upgraded else []
        return OrderDetail(summary.order, summary.instance, summary.open_tasks,
                           summary.department_due, timeline, stages,
                           [(o, "open" if o.instance_id in running else "closed")
                            for o in recent], judgments, self.engine.calendar_of)

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
                    HumanTask.instance_id.in_(ids), HumanTask.state == "completed",
                    # a stage outside the total (a return visit) does not use it up
                    HumanTask.department_limit.is_not(None))):
            if closed is None:  # a completed stage always has its time; nothing to add
                continue
            held[(instance_id, lane, department)] += closed - opened
        # The department timers as they wait (working time, pauses): what is due.
        waiting = {task_id: due for task_id, due in session.execute(
            select(Timer.task_id, Timer.due_at).where(
                Timer.instance_id.in_(ids), Timer.kind == "department",
                Timer.state == "pending"))}
        return [OrderSummary(order, instances[order.instance_id], tasks[order.instance_id],
                             {t.id: _department_due(t, held, waiting)
                              for t in tasks[order.instance_id] if t.department_limit})
                for order in orders]


def _department_due(task: HumanTask, held: dict[tuple, timedelta],
                    waiting: dict[str | None, datetime]) -> datetime | None:
    """When the department's total for this order runs out in this stage: its timer's
    moment while it waits (None while the stage is paused), else its limit less what its
    earlier stages in the lane took (past, once it has run out)."""
    if task.department_limit is None:  # callers pass only stages with a department limit
        raise ValueError(f"stage {task.id} has no department limit")
    if task.paused_at is not None:
        return None
    if task.id in waiting:
        return utc(waiting[task.id])
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
        query = query.where(ProcessInstance.status == {
            "open": "running", "closed": "completed"}.get(where.status, where.status))
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
        # A department told about an order sees it with the number masked: searching by
        # number finds only the orders it sees the number of (no guess is confirmed).
        query = query.where(_involving(where.involving,
                                       told=where.customer_phone is None))
    return query


def _involving(department: str, *, told: bool = True) -> Any:
    """The orders `department` accepted or holds or held a stage of, and (`told`) those
    it was notified about."""
    return or_(
        WorkOrder.acceptance_department == department,
        exists().where(HumanTask.instance_id == WorkOrder.instance_id,
                       HumanTask.department == department),
        *([exists().where(Notification.instance_id == WorkOrder.instance_id,
                          Notification.recipient == department)] if told else []))


def _has_open_task(condition) -> Any:
    return exists().where(HumanTask.instance_id == WorkOrder.instance_id,
                          HumanTask.state == "open", condition)
