"""`flask demo`: every flow twice on a simulated clock, one order on time, one late;
then one complaint through intake, an urge, a transfer, a rejected audit and a
dissatisfied return visit that reopens it; then the timeliness and satisfaction reports
of it all.

Runs on a fresh temporary SQLite database. Stage durations are chosen relative to the
limits read from the deployed diagrams, so the demo follows whatever the diagrams say.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.clock import SimulatedClock
from engine.errors import NotFound
from engine.process_engine import ProcessEngine
from engine.reference.calendars import Calendars
from engine.reference.categories import Categories
from engine.reference.code_lists import load_code_lists
from engine.reference.directory import Directory
from engine.reference.settings import Settings
from engine.reports import Reports
from engine.runtime.sandbox import parse_duration
from engine.store.database import create_schema, make_engine, make_session_factory
from engine.store.models import HumanTask
from engine.workorders.outcome_demo import outcomes_demo
from engine.workorders.service import WorkOrders
from engine.workorders.supervisors import supervisor_default

DEMO_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ON_TIME_SHARE = 0.5  # an on-time stage takes half its limit
LATE_BY = timedelta(minutes=40)  # the late order's handling stage overruns by this much
WORKER = "demo-worker"

DEPARTMENTS = {
    "single_dispatch": {
        "acceptance_department": "branch_remote_end",
        "processing_department": "branch_marketing_centre",
    },
    "one_department": {
        "acceptance_department": "provincial_service_desk",
        "processing_department": "network_operations",
    },
    "two_department_relay": {
        "acceptance_department": "provincial_service_desk",
        "relaying_department": "service_support_group",
        "processing_department": "provincial_support_centre",
    },
}

COMPLAINT = {
    "customer_phone": "13912345678",
    "content": "No mobile signal at home since Monday evening.",
    "channel": "hotline",
}
# A category the routing table sends to each flow, with the key fields it asks for.
CATEGORIES = {
    "single_dispatch": ("terminal/handset_fault/software", {"handset_model": "Mate 60"}),
    "one_department": ("network/no_signal/base_station",
                       {"location": "Xihu district, Hangzhou", "occurred_at": "2026-03-01"}),
    "two_department_relay": ("network/call_drop/td",
                             {"location": "Binjiang", "network_generation": "td_scdma"}),
}

# What each form receives in the demo; department choices come from DEPARTMENTS.
FORM_DATA: dict[str, Callable[[dict[str, str]], dict[str, Any]]] = {
    "dispatch.json": lambda d: {"processing_department": d["processing_department"]},
    "dispatch_to_relay.json": lambda d: {"relaying_department": d["relaying_department"]},
    "redispatch.json": lambda d: {"processing_department": d["processing_department"]},
    "handle.json": lambda d: {"result": "Base station restarted; signal restored.",
                              "resolved": True},
    "return_result.json": lambda d: {"return_summary": "Fault fixed, customer can call."},
    "relay_handle.json": lambda d: {"result": "Checked with the customer: calls work.",
                                    "resolved": True},
    "audit.json": lambda d: {"approved": True},
    "feedback.json": lambda d: {"customer_reached": True, "satisfaction": "satisfied",
                                "liable_department": d["processing_department"],
                                "liable_cause": "network_fault", "justified": True},
    "return_visit.json": lambda d: {"visit_reached": True, "visit_resolved": True,
                                    "visit_satisfaction": "satisfied"},
}


@dataclass
class OrderResult:
    flow: str
    business_key: str
    late: bool
    completed: bool
    limits_missed: int


class Demo:
    def __init__(self, processes_dir: Path, forms_dir: Path, data_dir: Path,
                 database_path: Path) -> None:
        self.clock = SimulatedClock(DEMO_START)
        self.database = make_engine(f"sqlite:///{database_path}")
        create_schema(self.database)
        directory = Directory.load(data_dir / "departments.json")
        self.engine = ProcessEngine(make_session_factory(self.database), self.clock,
                                    directory=directory,
                                    start_defaults=supervisor_default(directory),
                                    calendars=Calendars.load(data_dir / "calendars.json"),
                                    code_lists=load_code_lists(data_dir))
        self.engine.deployer.deploy_directory(processes_dir, forms_dir)
        self.categories = Categories.load(data_dir / "categories.json")
        self.settings = Settings.load(data_dir / "settings.json")
        self.work_orders = WorkOrders(self.engine, self.categories, self.settings)

    def advance_to(self, moment: datetime) -> None:
        """Move the clock to `moment`, letting the worker fire each timer just after
        it falls due, the way a worker polling every second would."""
        while (due := self.engine.timers.next_timer_due()) is not None and due < moment:
            self.clock.set(max(due + timedelta(seconds=1), self.clock.now()))
            self.engine.timers.fire_due_timers(WORKER)
        self.clock.set(moment)

    def run_order(self, flow: str, late: bool) -> OrderResult:
        """A complaint of `flow` submitted through intake and worked to its end."""
        departments = DEPARTMENTS[flow]
        category, key_fields = CATEGORIES[flow]
        business_key = self.work_orders.submit(
            {**COMPLAINT, "category": category, "key_fields": key_fields,
             "acceptance_department": departments["acceptance_department"]},
            "demo-hotline").number
        instance_id = self.work_orders.get(business_key).instance_id
        late_stage_done = False
        while tasks := self.engine.reads.tasks(instance_id=instance_id):
            task = tasks[0]
            held = self._time_to_hold(task, late and not late_stage_done)
            late_stage_done = late_stage_done or held > _stage_limit(task)
            self.advance_to(self.clock.now() + held)
            actor = f"{task.department}.clerk"
            if task.form is None:
                raise ValueError(f"the demo has no data for stage {task.stage}: it has no form")
            self.engine.commands.claim_task(task.id, actor)
            self.engine.commands.complete_task(task.id, FORM_DATA[task.form](departments), actor)
        instance = self.engine.reads.get_instance(instance_id)
        missed = sum(
            1 for e in self.engine.reads.timeline(instance_id)
            if e.type in ("stage_overdue", "department_overdue")
        )
        return OrderResult(flow, business_key, late, instance.status == "completed", missed)

    @staticmethod
    def _time_to_hold(task: HumanTask, overrun: bool) -> timedelta:
        limit = _stage_limit(task)
        if overrun and task.form == "handle.json":
            return limit + LATE_BY
        return limit * ON_TIME_SHARE

    def report_order(self, result: OrderResult, out: Callable[[str], None]) -> None:
        instance = self.engine.reads.find_instance(result.flow, result.business_key)
        if instance is None:
            raise NotFound(f"no {result.flow} instance {result.business_key!r}")
        label = "late order" if result.late else "on-time order"
        out(f"\n=== {result.business_key} ({label}) — {instance.status}")
        out(f"{'stage':<16}{'department':<28}{'ready':<8}{'done':<8}"
            f"{'held':>8}{'limit':>8}  missed")
        for task in self.engine.reads.tasks(instance_id=instance.id, state=None):
            held = task.completed_at - task.created_at if task.completed_at else None
            missed = (task.completed_at is not None and task.due_at is not None
                      and task.completed_at > task.due_at)
            out(f"{task.stage_name:<16}{task.department:<28}{_hm(task.created_at):<8}"
                f"{_hm(task.completed_at):<8}{_duration(held):>8}"
                f"{_duration(_stage_limit(task)):>8}  {'MISSED' if missed else 'ok'}")
        out("timeline:")
        for event in self.engine.reads.timeline(instance.id):
            where = " ".join(x for x in (event.stage, event.department) if x)
            note = ""
            if event.type in ("stage_overdue", "department_overdue"):
                note = f" (limit {event.detail.get('limit')}, due {event.detail.get('due_at')})"
            out(f"  {event.at:%Y-%m-%d %H:%M:%S}  {event.type:<19}{where:<40}"
                f"{event.actor}{note}")


    def complaint(self, out: Callable[[str], None]) -> bool:
        """One complaint through intake and the departments' moves: urged, transferred,
        its result rejected at audit, handled again, fed back; the return visit (a VIP
        customer is always called back) finds it unsolved and reopens it; handled again
        and closed. Returns whether it closed."""
        work_orders = self.work_orders
        number = work_orders.submit({
            "customer_phone": "13812345678", "category": "network/no_signal/base_station",
            "content": "No signal at home since Monday; I was billed for roaming too.",
            "channel": "hotline", "acceptance_department": "provincial_service_desk",
            "customer_tier": "vip", "key_fields": {"location": "Xihu district, Hangzhou",
                                                    "occurred_at": "2026-03-02"}},
            "demo-hotline").number
        desk, network, billing = "provincial_service_desk", "network_operations", "billing"
        feedback = {"customer_reached": True, "satisfaction": "satisfied",
                    "liable_department": network, "liable_cause": "network_fault",
                    "justified": True}
        steps = [
            (10, lambda: self._complete(number, desk, {"processing_department": network})),
            (40, lambda: work_orders.urge(number, desk, "desk.clerk", "Customer called again.")),
            (5, lambda: work_orders.transfer(number, network, "network.clerk", billing,
                                             "The roaming charge is the real complaint.")),
            (50, lambda: self._complete(number, billing, {"result": "Refunded.",
                                                          "resolved": True})),
            (5, lambda: self._complete(number, billing, {"return_summary": "Refunded."})),
            (5, lambda: work_orders.audit(number, desk, "desk.clerk", False,
                                          "The signal problem is not answered.")),
            (30, lambda: self._complete(number, billing, {"result": "Base station fixed.",
                                                          "resolved": True})),
            (5, lambda: self._complete(number, billing, {"return_summary": "Both fixed."})),
            (5, lambda: work_orders.audit(number, desk, "desk.clerk", True)),
            (10, lambda: self._complete(number, desk, feedback)),
            (120, lambda: self._complete(number, desk, {
                "visit_reached": True, "visit_resolved": False,
                "visit_satisfaction": "dissatisfied",
                "reason": "The signal drops again every evening."})),
            (40, lambda: self._complete(number, billing, {"result": "Antenna replaced.",
                                                          "resolved": True})),
            (5, lambda: self._complete(number, billing, {"return_summary": "Antenna."})),
            (5, lambda: work_orders.audit(number, desk, "desk.clerk", True)),
            (10, lambda: self._complete(number, desk, feedback)),
            (120, lambda: self._complete(number, desk, {
                "visit_reached": True, "visit_resolved": True,
                "visit_satisfaction": "satisfied"})),
        ]
        for minutes, step in steps:
            self.advance_to(self.clock.now() + timedelta(minutes=minutes))
            step()
        detail = work_orders.detail(number)
        out(f"\n=== A complaint's life: {number} ({detail.order.flow}, VIP: limits halved)"
            f" — {detail.status}")
        for event in detail.timeline:
            if event.type in ("task_ready", "claimed", "timer_fired"):
                continue
            why = event.detail.get("reason") or event.detail.get("rung") or ""
            to = ", ".join(event.detail.get("to_departments", []))
            out(f"  {event.at:%H:%M}  {event.type:<20}{event.stage or '':<15}"
                f"{event.department or '':<26}{'-> ' + to if to else ''} {why}".rstrip())
        out(f"counts: {detail.counts}")
        for held in detail.durations(self.clock.now())["departments"]:
            out(f"  {held['lane']:<11}{held['department']:<26}held "
                f"{_duration(timedelta(seconds=held['held_seconds'])):>6} of {held['limit']}")
        return detail.status == "closed"

    def _complete(self, number: str, department: str, data: dict[str, Any]) -> None:
        order = self.work_orders.get(number)
        [task] = self.engine.reads.tasks(instance_id=order.instance_id, department=department)
        self.engine.commands.complete_task(task.id, data, f"{department}.clerk",
                                           department=department)

    def timeliness(self, out: Callable[[str], None]) -> None:
        reports = Reports(self.engine, self.categories, self.settings)
        table = reports.timeliness(DEMO_START, self.clock.now() + timedelta(seconds=1),
                                   "department")
        out("\n=== Timeliness by department (flask report timeliness prints this too)")
        out(f"{'department':<28}{'done':>6}{'on time':>9}{'late':>6}{'rate':>8}")
        for row in [*table["groups"], table["total"]]:
            rate = "-" if row["on_time_rate"] is None else f"{row['on_time_rate']:.0%}"
            out(f"{row['group']:<28}{row['stages_completed']:>6}{row['on_time']:>9}"
                f"{row['breached']:>6}{rate:>8}")


    def satisfaction(self, out: Callable[[str], None]) -> None:
        reports = Reports(self.engine, self.categories, self.settings)
        table = reports.satisfaction(DEMO_START, self.clock.now() + timedelta(seconds=1),
                                     "department")
        out("\n=== Satisfaction and reopening by processing department "
            "(GET /api/v1/reports/satisfaction)")
        out(f"{'department':<28}{'feedbacks':>10}{'satisfied':>10}{'visits':>8}"
            f"{'solved':>8}{'reopened':>10}{'reopen rate':>13}")
        for row in [*table["groups"], table["total"]]:
            rate = "-" if row["reopen_rate"] is None else f"{row['reopen_rate']:.0%}"
            out(f"{row['group']:<28}{row['feedbacks']:>10}{row['feedback_satisfied']:>10}"
                f"{row['visits']:>8}{row['visits_resolved']:>8}{row['orders_reopened']:>10}"
                f"{rate:>13}")


def run_demo(processes_dir: Path, forms_dir: Path, data_dir: Path,
             out: Callable[[str], None] = print) -> int:
    """Run the demo; returns the number of orders that did not complete (0 = success)."""
    with tempfile.TemporaryDirectory(prefix="workorders-demo-") as tmp:
        demo = Demo(processes_dir, forms_dir, data_dir, Path(tmp) / "demo.sqlite3")
        out(f"Simulated clock starts at {DEMO_START:%Y-%m-%d %H:%M} UTC; "
            f"database {Path(tmp) / 'demo.sqlite3'} (temporary)")
        results = []
        for flow in DEPARTMENTS:
            for late in (False, True):
                result = demo.run_order(flow, late)
                demo.report_order(result, out)
                results.append(result)
        _summary(results, out)
        closed = demo.complaint(out)
        demo.timeliness(out)
        shown = outcomes_demo(demo.engine, demo.work_orders,
                              Reports(demo.engine, demo.categories, demo.settings),
                              demo.settings, demo.advance_to, out)
        demo.satisfaction(out)
        demo.database.dispose()
    return sum(1 for r in results if not r.completed) + (not closed) + (not shown)


def _summary(results: list[OrderResult], out: Callable[[str], None]) -> None:
    out("\n=== Summary")
    out(f"{'flow':<24}{'orders':>7}{'completed':>11}{'with a missed limit':>21}"
        f"{'limits missed':>15}")
    for flow in DEPARTMENTS:
        rows = [r for r in results if r.flow == flow]
        out(f"{flow:<24}{len(rows):>7}{sum(r.completed for r in rows):>11}"
            f"{sum(r.limits_missed > 0 for r in rows):>21}{sum(r.limits_missed for r in rows):>15}")
    out(f"{'total':<24}{len(results):>7}{sum(r.completed for r in results):>11}"
        f"{sum(r.limits_missed > 0 for r in results):>21}"
        f"{sum(r.limits_missed for r in results):>15}")


def _stage_limit(task: HumanTask) -> timedelta:
    """The stage's limit: the demo times every stage against it."""
    if task.stage_limit is None:
        raise ValueError(f"the demo needs a limit on stage {task.stage}; it has none")
    return parse_duration(task.stage_limit)


def _hm(moment: datetime | None) -> str:
    return f"{moment:%H:%M}" if moment else "-"


def _duration(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"
