"""`flask demo`: every flow twice on a simulated clock, one order on time, one late.

Runs on a fresh temporary SQLite database and prints each order's stages and
timeline, then a summary. Stage durations are chosen relative to the limits read
from the deployed diagrams, so the demo follows whatever the diagrams say.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .clock import SimulatedClock
from .database import create_schema, make_engine, make_session_factory
from .expressions import parse_duration
from .models import HumanTask
from .service import ProcessEngine

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
    "category": "network/no_signal/base_station",
    "content": "No mobile signal at home since Monday evening.",
    "channel": "hotline",
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
    "feedback.json": lambda d: {"customer_reached": True, "satisfaction": "satisfied"},
}


@dataclass
class OrderResult:
    flow: str
    business_key: str
    late: bool
    completed: bool
    limits_missed: int


class Demo:
    def __init__(self, processes_dir: Path, forms_dir: Path, database_path: Path) -> None:
        self.clock = SimulatedClock(DEMO_START)
        self.database = make_engine(f"sqlite:///{database_path}")
        create_schema(self.database)
        self.engine = ProcessEngine(make_session_factory(self.database), self.clock)
        self.engine.deploy_directory(processes_dir, forms_dir)

    def advance_to(self, moment: datetime) -> None:
        """Move the clock to `moment`, letting the worker fire each timer just after
        it falls due, the way a worker polling every second would."""
        while (due := self.engine.next_timer_due()) is not None and due < moment:
            self.clock.set(max(due + timedelta(seconds=1), self.clock.now()))
            self.engine.fire_due_timers(WORKER)
        self.clock.set(moment)

    def run_order(self, flow: str, number: int, late: bool) -> OrderResult:
        departments = DEPARTMENTS[flow]
        business_key = f"DEMO-{flow}-{number}"
        instance_id = self.engine.start(
            flow, business_key, {**COMPLAINT, "acceptance_department":
                                 departments["acceptance_department"]},
            actor="hotline",
        ).instance_id
        late_stage_done = False
        while tasks := self.engine.tasks(instance_id=instance_id):
            task = tasks[0]
            held = self._time_to_hold(task, late and not late_stage_done)
            late_stage_done = late_stage_done or held > parse_duration(task.stage_limit)
            self.advance_to(self.clock.now() + held)
            actor = f"{task.department}.clerk"
            self.engine.claim_task(task.id, actor)
            self.engine.complete_task(task.id, FORM_DATA[task.form](departments), actor)
        instance = self.engine.get_instance(instance_id)
        missed = sum(
            1 for e in self.engine.timeline(instance_id)
            if e.type in ("stage_overdue", "department_overdue")
        )
        return OrderResult(flow, business_key, late, instance.status == "completed", missed)

    @staticmethod
    def _time_to_hold(task: HumanTask, overrun: bool) -> timedelta:
        limit = parse_duration(task.stage_limit)
        if overrun and task.form == "handle.json":
            return limit + LATE_BY
        return limit * ON_TIME_SHARE

    def report_order(self, result: OrderResult, out: Callable[[str], None]) -> None:
        instance = self.engine.find_instance(result.flow, result.business_key)
        label = "late order" if result.late else "on-time order"
        out(f"\n=== {result.business_key} ({label}) — {instance.status}")
        out(f"{'stage':<16}{'department':<28}{'ready':<8}{'done':<8}"
            f"{'held':>8}{'limit':>8}  missed")
        for task in self.engine.tasks(instance_id=instance.id, state=None):
            held = task.completed_at - task.created_at if task.completed_at else None
            missed = task.completed_at is not None and task.completed_at > task.due_at
            out(f"{task.stage_name:<16}{task.department:<28}{_hm(task.created_at):<8}"
                f"{_hm(task.completed_at):<8}{_duration(held):>8}"
                f"{_duration(parse_duration(task.stage_limit)):>8}  {'MISSED' if missed else 'ok'}")
        out("timeline:")
        for event in self.engine.timeline(instance.id):
            where = " ".join(x for x in (event.stage, event.department) if x)
            note = ""
            if event.type in ("stage_overdue", "department_overdue"):
                note = f" (limit {event.detail.get('limit')}, due {event.detail.get('due_at')})"
            out(f"  {event.at:%Y-%m-%d %H:%M:%S}  {event.type:<19}{where:<40}"
                f"{event.actor}{note}")


def run_demo(processes_dir: Path, forms_dir: Path, out: Callable[[str], None] = print) -> int:
    """Run the demo; returns the number of orders that did not complete (0 = success)."""
    with tempfile.TemporaryDirectory(prefix="workorders-demo-") as tmp:
        demo = Demo(processes_dir, forms_dir, Path(tmp) / "demo.sqlite3")
        out(f"Simulated clock starts at {DEMO_START:%Y-%m-%d %H:%M} UTC; "
            f"database {Path(tmp) / 'demo.sqlite3'} (temporary)")
        results = []
        for flow in DEPARTMENTS:
            for number, late in enumerate((False, True), start=1):
                result = demo.run_order(flow, number, late)
                demo.report_order(result, out)
                results.append(result)
        demo.database.dispose()
    _summary(results, out)
    return sum(1 for r in results if not r.completed)


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


def _hm(moment: datetime | None) -> str:
    return f"{moment:%H:%M}" if moment else "-"


def _duration(delta: timedelta | None) -> str:
    if delta is None:
        return "-"
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"
