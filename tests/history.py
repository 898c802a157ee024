"""A generated history of work orders with known lapses, for the report tests.

Orders go through intake (so they have categories and routed departments) one after
another on the simulated clock. Every stage is held for a set share of the limit that
applied to it: half of it, or 120 % of it when the pattern says late. Some orders are
urged, some transferred, a few urgent, and the last ones are left open. What was done
is kept as `Held` records: the oracle the reports are checked against.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.workorders.service import WorkOrders

from .orders import FORM_DATA

# (category, key fields, acceptance department): each routes to its own flow/department
PROFILES = [
    ("terminal/handset_fault/software", {"handset_model": "Mate 60"}, "branch_remote_end"),
    ("network/no_signal/base_station", {"location": "Xihu district", "occurred_at": "2026-01-02"},
     "provincial_service_desk"),
    ("billing/disputed_charge/data_charge", {"bill_month": "2026-01", "disputed_amount": 12.5},
     "provincial_service_desk"),
    ("network/call_drop/td", {"location": "Binjiang", "network_generation": "td_scdma"},
     "provincial_service_desk"),
    ("value_added/mobile_newspaper/not_delivered", {"subscription_name": "Zhejiang Daily"},
     "provincial_service_desk"),
]
SPACING = timedelta(hours=10)  # between two submissions; longer than any order takes
ON_TIME_SHARE, LATE_SHARE = 0.5, 1.2


@dataclass
class Held:
    """One stage as the generator held it."""

    number: str
    flow: str
    category: str
    stage: str
    department: str
    opened_at: datetime
    limit: timedelta
    closed_at: datetime | None = None

    @property
    def late(self) -> bool:
        return self.closed_at is not None and self.closed_at > self.opened_at + self.limit

    @property
    def seconds(self) -> float | None:
        return None if self.closed_at is None else (self.closed_at - self.opened_at
                                                    ).total_seconds()


@dataclass
class History:
    held: list[Held] = field(default_factory=list)
    urges: dict[str, list[str]] = field(default_factory=dict)  # number -> departments urged
    transfers: dict[str, str] = field(default_factory=dict)  # number -> department that did
    numbers: list[str] = field(default_factory=list)


def is_late(order: int, stage: int) -> bool:
    return (order * 7 + stage) % 6 == 0


def generate(work_orders: WorkOrders, clock, count: int, open_at_end: int = 10) -> History:
    """`count` orders, the last `open_at_end` of them left open part-way."""
    engine = work_orders.engine
    history = History()
    start = clock.now()
    for n in range(count):
        clock.set(max(clock.now(), start + n * SPACING))
        category, key_fields, acceptance = PROFILES[n % len(PROFILES)]
        number = work_orders.submit({
            "customer_phone": "13912345678", "category": category,
            "content": f"Complaint {n}.", "channel": "hotline",
            "acceptance_department": acceptance, "key_fields": key_fields,
            "urgency": "urgent" if n % 10 == 3 else "normal"}, "history").number
        history.numbers.append(number)
        instance_id = work_orders.get(number).instance_id
        routed = engine.reads.get_instance(instance_id).variables["processing_department"]
        stop_after = (n % 4) + 1 if n >= count - open_at_end else None
        for index in range(20):
            tasks = engine.reads.tasks(instance_id=instance_id)
            if not tasks:
                break
            [task] = tasks
            held = Held(number, task.definition_key, category, task.stage, task.department,
                        task.created_at, task.due_at - task.created_at)
            history.held.append(held)
            if stop_after is not None and index == stop_after:
                break  # left open
            share = LATE_SHARE if is_late(n, index) else ON_TIME_SHARE
            clock.advance(held.limit * share)
            data = dict(FORM_DATA[task.form])  # with the departments of the real directory
            if "processing_department" in data:
                data["processing_department"] = routed
            if "relaying_department" in data:
                data["relaying_department"] = "service_support_group"
            if task.stage == "handle" and n % 4 == 0 and number not in history.urges:
                work_orders.urge(number, acceptance, "desk", "Customer called again.")
                history.urges[number] = [task.department]
            if task.stage == "handle" and n % 9 == 0 and number not in history.transfers:
                target = "billing" if task.department != "billing" else "network_operations"
                work_orders.transfer(number, task.department, "clerk", target, "Not ours.")
                history.transfers[number] = task.department
            else:
                engine.commands.complete_task(task.id, data, "clerk", department=task.department)
            held.closed_at = clock.now()
    return history
