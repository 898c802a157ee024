"""The order deadline (工单时限) of a work order, as the order answer shows it."""
from __future__ import annotations

from typing import Any

from engine.process_engine import ProcessEngine
from engine.runtime.deadline import deadline_of
from engine.workorders.models import WorkOrder


class Deadlines:
    engine: ProcessEngine

    def order_deadline(self, order: WorkOrder) -> dict[str, Any] | None:
        """Its limit (from the service level), due time, time left (standing still while
        a stage is paused) and whether it was met; None for an order without one."""
        with self.engine.reading() as session:
            return deadline_of(session, order.instance_id, self.engine.clock.now())
