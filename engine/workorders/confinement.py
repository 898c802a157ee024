"""What the generic engine API may not touch: work orders.

The generic API (start an instance by key, deliver or correlate a message) is for
designers' test processes and for integration messages to processes that are not work
orders. Work-order flows, their numbers and their instances are reachable only through
intake and the work-order operations, where the rules of a work order apply (routing,
numbering, who may urge and how often, ...).
"""
from __future__ import annotations

import re

from sqlalchemy import ColumnExpressionArgument, Exists, exists, select
from sqlalchemy.orm import Session

from engine.definitions.decisions import rule_outputs
from engine.definitions.versions import find_decision
from engine.errors import DecisionNotFound
from engine.process_engine import ProcessEngine
from engine.reference.settings import Settings
from engine.workorders.errors import ReservedForWorkOrders
from engine.workorders.models import WorkOrder
from engine.workorders.routing import ROUTING_TABLE


class Confinement:
    def __init__(self, engine: ProcessEngine, settings: Settings) -> None:
        self.engine = engine
        prefix = re.escape(settings.work_orders.number_prefix)
        self._number = re.compile(rf"{prefix}-\d{{8}}-\d+", re.IGNORECASE)

    def check_start(self, key: str, business_key: str) -> None:
        """A generic start may not start a work-order flow nor take a work-order number."""
        if self._number.fullmatch(business_key.strip()):
            raise ReservedForWorkOrders(
                f"business key {business_key!r} has the form of a work-order number; "
                "work orders are numbered by intake (POST /api/v1/work-orders)")
        if key in self.work_order_flows():
            raise ReservedForWorkOrders(
                f"{key!r} is a work-order flow; start work orders through intake "
                "(POST /api/v1/work-orders)")

    def check_correlation(self, business_key: str) -> None:
        """A generic message correlated by business key may not reach a work order."""
        with self.engine.reading() as session:
            numbered = session.scalar(select(exists().where(
                WorkOrder.number == business_key.strip())))
        if numbered or self._number.fullmatch(business_key.strip()):
            raise ReservedForWorkOrders(
                f"{business_key!r} is a work-order number; use the work-order operations "
                "(POST /api/v1/work-orders/{number}/urge, ...)")

    def check_message(self, instance_id: str) -> None:
        """A generic message may not reach a work order's instance."""
        with self.engine.reading() as session:
            if is_work_order(session, instance_id):
                raise ReservedForWorkOrders(
                    "this instance is a work order; use the work-order operations "
                    "(POST /api/v1/work-orders/{number}/urge, ...)")

    def work_order_flows(self) -> set[str]:
        """The flows the newest routing table sends complaints to (every one, whatever
        the rule's inputs)."""
        with self.engine.reading() as session:
            try:
                definition = find_decision(session, ROUTING_TABLE)
            except DecisionNotFound:
                return set()
        table = self.engine.specs.decision(definition)
        return {outputs["flow"] for _number, outputs in rule_outputs(table)
                if isinstance(outputs.get("flow"), str)}


def is_work_order(session: Session, instance_id: str) -> bool:
    return bool(session.scalar(select(has_work_order(instance_id))))


def has_work_order(instance_id: ColumnExpressionArgument[str] | str) -> Exists:
    """The condition that the instance (an id, or a column holding one) is a work
    order's: what the work-order reports count."""
    return exists().where(WorkOrder.instance_id == instance_id)
