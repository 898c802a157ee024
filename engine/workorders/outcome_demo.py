"""The outcomes part of `flask demo`: a complaint resolved on the spot, a repeat customer,
an upgraded complaint judged company-liable, and the month's KPI and first-contact rate
(issue 14). Runs on the demo's engine, work orders and simulated clock."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.process_engine import ProcessEngine
from engine.reference.settings import Settings
from engine.reports import Reports
from engine.workorders.service import WorkOrders

REPEATER = "13812345678"  # the demo complaint's customer
DESK = "provincial_service_desk"
ROAMING = {"category": "billing/disputed_charge/data_charge", "channel": "hotline",
           "key_fields": {"bill_month": "2026-02", "disputed_amount": 30}}


def outcomes_demo(engine: ProcessEngine, work_orders: WorkOrders, reports: Reports,
                  settings: Settings, advance_to: Callable[[datetime], None],
                  out: Callable[[str], None]) -> bool:
    """Show the outcomes; whether each did what it should."""
    def submit(phone: str, actor: str = "demo-hotline", **fields: Any) -> str:
        advance_to(engine.clock.now() + timedelta(minutes=20))
        return work_orders.submit({"customer_phone": phone, "content": "Demo complaint.",
                                   "acceptance_department": DESK, **ROAMING, **fields},
                                  actor).number

    out("\n=== Outcomes (issue 14)")
    spot = submit("13700001111", resolved_on_the_spot={
        "answer": "Explained the data bundle; the customer accepted."})
    spot_order = work_orders.get(spot)
    out(f"resolved on the spot: {spot} first_contact={spot_order.first_contact}, "
        f"{work_orders.detail(spot).status}")
    repeats = [submit(REPEATER) for _ in range(3)]
    last = work_orders.get(repeats[-1])
    out(f"repeat customer {REPEATER[:3]}****{REPEATER[-4:]}: {repeats[-1]} is the "
        f"customer's complaint with {last.repeat_count} earlier within "
        f"{settings.outcomes.repeats.window.days} days (linked to {last.repeat_of}); "
        "the desk's supervisor was told")
    upgraded = submit("13900002222", channel="regulator", external_reference="MIIT-2026-88")
    work_orders.judge(upgraded, "demo-manager", liable=True,
                      departments=["network_operations"], cause="network_quality",
                      note="The group judged the coverage gap company-liable")
    judged = work_orders.judgments(upgraded)[-1]
    out(f"upgraded complaint {upgraded} (regulator, MIIT-2026-88): judged liable, "
        f"{', '.join(judged.departments)}, cause {judged.cause}")
    now = engine.clock.now()
    kpi = reports.kpi(now.year, now.astimezone(settings.assessment.time_zone).month)
    out(f"KPI {kpi['through']}: company-liable upgraded complaints per department")
    for row in kpi["departments"]:
        if row["month"]["liable_complaints"] or row["timeliness"]["month"]["lapsed_orders"]:
            out(f"  {row['department']:<28}{row['month']['formula']:<16} orders "
                f"{' '.join(row['month']['orders']) or '-'}; lapsed orders (timeliness) "
                f"{row['timeliness']['month']['lapsed_orders']}")
    fcr = reports.first_contact(now - timedelta(days=1), now + timedelta(seconds=1),
                                "acceptance_department")
    for row in fcr["groups"]:
        out(f"first-contact resolution, {row['group']}: {row['resolved_first_contact']} of "
            f"{row['closed']} closed (on the spot {row['on_the_spot']}, first time "
            f"{row['first_time']}), rate {row['rate']}")
    return bool(spot_order.first_contact and last.repeat_count >= 3 and judged.liable)
