"""Test helpers that drive work orders through the engine the way departments would."""
from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from engine import ProcessEngine, SimulatedClock
from engine.store.models import HumanTask

SUBMISSION = {
    "customer_phone": "13812345678",
    "category": "mobile/no_signal/base_station",
    "content": "No signal at home.",
    "channel": "hotline",
    "acceptance_department": "front_desk",
}

# Valid data for each form; the departments chosen here are the ones tests expect.
FORM_DATA: dict[str, dict[str, Any]] = {
    "dispatch.json": {"processing_department": "network_ops"},
    "dispatch_to_relay.json": {"relaying_department": "support_group"},
    "redispatch.json": {"processing_department": "network_ops"},
    "handle.json": {"result": "Restarted the base station.", "resolved": True},
    "return_result.json": {"return_summary": "Fixed."},
    "relay_handle.json": {"result": "Checked the fix with the customer.", "resolved": True},
    "audit.json": {"approved": True},
    "supervise.json": {"processing_department": "billing"},
    "feedback.json": {"customer_reached": True, "satisfaction": "satisfied",
                      "liable_department": "network_operations", "liable_cause": "network_fault",
                      "justified": True},
    "return_visit.json": {"visit_reached": True, "visit_resolved": True,
                          "visit_satisfaction": "satisfied"},
}

DEPARTMENT_OF_LANE = {
    "Acceptance": "front_desk",
    "Relaying": "support_group",
    "Processing": "network_ops",
}
AUDIT = ("audit", "Acceptance", "audit.json", timedelta(minutes=15))

# The stages of each flow as DOMAIN.md states them, with the audit before feedback that
# issue 6 adds: (stage, lane, form, stage limit).
FLOW_STAGES = {
    "single_dispatch": [
        ("dispatch", "Acceptance", "dispatch.json", timedelta(minutes=15)),
        ("handle", "Processing", "handle.json", timedelta(hours=3)),
        AUDIT,
        ("feedback", "Acceptance", "feedback.json", timedelta(hours=1)),
    ],
    "one_department": [
        ("dispatch", "Acceptance", "dispatch.json", timedelta(minutes=15)),
        ("handle", "Processing", "handle.json", timedelta(hours=2)),
        ("return_result", "Processing", "return_result.json", timedelta(minutes=15)),
        AUDIT,
        ("feedback", "Acceptance", "feedback.json", timedelta(hours=1)),
    ],
    "two_department_relay": [
        ("dispatch", "Acceptance", "dispatch_to_relay.json", timedelta(minutes=15)),
        ("redispatch", "Relaying", "redispatch.json", timedelta(minutes=15)),
        ("handle", "Processing", "handle.json", timedelta(hours=2)),
        ("return_result", "Processing", "return_result.json", timedelta(minutes=15)),
        ("relay_handle", "Relaying", "relay_handle.json", timedelta(hours=2)),
        ("relay_return", "Relaying", "return_result.json", timedelta(minutes=15)),
        AUDIT,
        ("feedback", "Acceptance", "feedback.json", timedelta(hours=1)),
    ],
}

# Department totals per flow and lane (DOMAIN.md, including its marked readings; the
# acceptance totals grow by the 15 minutes of the audit stage issue 6 adds).
DEPARTMENT_TOTALS = {
    "single_dispatch": {"Acceptance": timedelta(hours=1, minutes=30),
                        "Processing": timedelta(hours=3)},
    "one_department": {"Acceptance": timedelta(hours=1, minutes=30),
                       "Processing": timedelta(hours=3)},
    "two_department_relay": {"Acceptance": timedelta(hours=1, minutes=45),
                             "Relaying": timedelta(hours=6, minutes=45),
                             "Processing": timedelta(hours=3)},
}

_numbers = itertools.count(1)


class OrderDriver:
    def __init__(self, engine: ProcessEngine, clock: SimulatedClock) -> None:
        self.engine = engine
        self.clock = clock

    def start(self, flow: str, **overrides: Any) -> str:
        return self.engine.starter.start(flow, f"WO-{next(_numbers):06d}",
                                         {**SUBMISSION, **overrides},
                                         actor="hotline").instance_id

    def open_task(self, instance_id: str) -> HumanTask:
        tasks = self.engine.reads.tasks(instance_id=instance_id)
        assert len(tasks) == 1, f"expected one open stage, found {[t.stage for t in tasks]}"
        return tasks[0]

    def complete(self, instance_id: str, stage: str | None = None) -> HumanTask:
        task = self.open_task(instance_id)
        if stage is not None:
            assert task.stage == stage
        self.engine.commands.complete_task(task.id, FORM_DATA[task.form],
                                           actor=f"{task.department}.clerk")
        return task

    def complete_until(self, instance_id: str, stage: str) -> HumanTask:
        """Complete stages at once until `stage` is the open one; return it."""
        while (task := self.open_task(instance_id)).stage != stage:
            self.complete(instance_id)
        return task

    def tick(self, delta: timedelta) -> int:
        """Move time on, then let a worker fire whatever is due."""
        self.clock.advance(delta)
        return self.engine.timers.fire_due_timers("test-worker")

    def events(self, instance_id: str, *types: str) -> list:
        return [e for e in self.engine.reads.timeline(instance_id) if not types or e.type in types]
