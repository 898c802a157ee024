"""Outcome sections of a work order's view: repeat, upgrade and liability."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.reference.outcome_settings import UpgradeSettings
from engine.workorders.models import LiabilityJudgment, WorkOrder
from engine.workorders.service import OrderDetail


def outcome_flags(order: WorkOrder) -> dict[str, Any]:
    """What a listing shows of an order's outcomes."""
    return {"repeat_count": order.repeat_count or 0, "upgraded": bool(order.upgraded),
            "first_contact": bool(order.first_contact), "city": order.city}


def outcome_view(detail: OrderDetail, causes: UpgradeSettings | None,
                 visible: Callable[[WorkOrder], bool]) -> dict[str, Any]:
    order = detail.order
    judgments = [judgment_view(j, causes) for j in detail.judgments]
    return {
        "repeat": {"count": order.repeat_count or 0, "repeat_of": order.repeat_of,
                   "recent_orders": [recent_order_view(o, status)
                                     for o, status in detail.recent_orders
                                     if visible(o)]},
        "upgrade": {"upgraded": bool(order.upgraded), "source": order.upgrade_source,
                    "reference": order.upgrade_reference, "upgraded_at": order.upgraded_at,
                    "liability": judgments[-1] if judgments else None,
                    "judgments": judgments},
    }


def recent_order_view(order: WorkOrder, status: str) -> dict[str, Any]:
    return {"number": order.number, "category": order.category, "status": status,
            "submitted_at": order.submitted_at,
            "acceptance_department": order.acceptance_department}


def judgment_view(judgment: LiabilityJudgment,
                  causes: UpgradeSettings | None) -> dict[str, Any]:
    cause = causes.cause(judgment.cause) if causes and judgment.cause else None
    return {"version": judgment.version, "liable": judgment.liable,
            "departments": list(judgment.departments), "cause": judgment.cause,
            "cause_name": cause.name if cause else None, "major": judgment.major,
            "judged_at": judgment.judged_at, "note": judgment.note,
            "recorded_by": judgment.recorded_by, "recorded_at": judgment.recorded_at}
