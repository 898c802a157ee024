"""Complaint work orders: intake (intake.py), following an order (following.py) and what
departments do to it (operations.py), over the generic process engine."""
from __future__ import annotations

from engine.process_engine import ProcessEngine
from engine.reference.categories import Categories
from engine.reference.cities import Cities
from engine.reference.pause_reasons import PauseReasons
from engine.reference.settings import Settings
from engine.workorders.confinement import Confinement
from engine.workorders.deadlines import Deadlines
from engine.workorders.following import (
    COUNTED_EVENTS,
    TRANSFERRED,
    URGED,
    Following,
    OrderDetail,
    OrderSummary,
    WorkOrderFilter,
)
from engine.workorders.intake import Intake, SubmitResult
from engine.workorders.liability import Liability
from engine.workorders.operations import URGE_MESSAGE, Operations
from engine.workorders.pauses import Pauses
from engine.workorders.upgrades import Upgrades
from engine.workorders.withdrawal import Withdrawal

__all__ = ["COUNTED_EVENTS", "TRANSFERRED", "URGED", "URGE_MESSAGE", "OrderDetail",
           "OrderSummary", "SubmitResult", "WorkOrderFilter", "WorkOrders"]


class WorkOrders(Intake, Following, Operations, Pauses, Deadlines, Upgrades, Liability,
                 Withdrawal):
    """The work-order layer, one object for the API and the CLI."""

    def __init__(self, engine: ProcessEngine, categories: Categories,
                 settings: Settings | None = None, cities: Cities | None = None,
                 pause_reasons: PauseReasons | None = None) -> None:
        self.engine = engine
        self.pause_reasons = pause_reasons  # without them no stage can be paused
        self.categories = categories
        self.settings = settings or Settings()
        self.cities = cities or Cities([], {})
        # What the generic engine API may not reach (its endpoints ask this).
        self.confinement = Confinement(engine, self.settings)
