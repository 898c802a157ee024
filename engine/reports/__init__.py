"""Reports for managers: timeliness, stages at risk, the KPI assessment, hotspots.

Read-only over the engine's records (stages, timeline, work orders); no Flask here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..categories import Categories
from ..decisions import NoDecision
from ..errors import DecisionNotFound
from ..escalation import LADDER_KEY, rungs_of
from ..models import HotspotAlert
from ..queries import Page
from ..service import ProcessEngine
from ..settings import Settings
from ..specs import find_decision
from .at_risk import AtRiskStage, at_risk
from .chart import daily_on_time_svg
from .hotspots import current_bursts
from .kpi import assess
from .timeliness import GROUPINGS, daily_on_time, timeliness

__all__ = ["GROUPINGS", "AtRiskStage", "Reports"]
DEFAULT_AT_RISK_PERCENT = 75.0  # when no escalation ladder is deployed


class Reports:
    def __init__(self, engine: ProcessEngine, categories: Categories,
                 settings: Settings) -> None:
        self.engine = engine
        self.categories = categories
        self.settings = settings

    def timeliness(self, start: datetime, end: datetime, group_by: str) -> dict[str, Any]:
        with self.engine.reading() as session:
            return timeliness(session, start, end, group_by, self.engine.clock.now(),
                              self._name)

    def daily_on_time(self, start: datetime, end: datetime) -> dict[str, list]:
        with self.engine.reading() as session:
            return daily_on_time(session, start, end, self.settings.assessment.time_zone)

    def daily_on_time_chart(self, start: datetime, end: datetime) -> bytes:
        zone = self.settings.assessment.time_zone
        title = (f"On-time rate per department, {start.astimezone(zone):%Y-%m-%d} to "
                 f"{end.astimezone(zone):%Y-%m-%d} ({zone})")
        return daily_on_time_svg(self.daily_on_time(start, end), title)

    def at_risk(self, *, threshold_percent: float | None = None,
                **query: Any) -> tuple[Page, float]:
        """Open stages at risk or breached, and the share of the limit used as "at risk"
        (the ladder's first rung unless `threshold_percent` is given)."""
        with self.engine.reading() as session:
            threshold = threshold_percent or self.warning_percent(session)
            return at_risk(session, self.engine.clock.now(), threshold, **query), threshold

    def warning_percent(self, session) -> float:
        """The ladder's first stage rung: from there a stage counts as at risk."""
        try:
            rungs = rungs_of(self.engine.specs.decision(find_decision(session, LADDER_KEY)),
                             "stage")
        except (DecisionNotFound, NoDecision, ValueError):
            rungs = []
        return rungs[0].percent if rungs else DEFAULT_AT_RISK_PERCENT

    def kpi(self, year: int, month: int | None = None) -> dict[str, Any]:
        with self.engine.reading() as session:
            return assess(session, self.settings.assessment, self.engine.directory, year,
                          month)

    def hotspots(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Alerts raised in [start, end), and what is past a threshold right now."""
        with self.engine.reading() as session:
            alerts = list(session.scalars(select(HotspotAlert).where(
                HotspotAlert.raised_at >= start, HotspotAlert.raised_at < end)
                .order_by(HotspotAlert.raised_at.desc(), HotspotAlert.id.desc())))
            current = current_bursts(session, self.settings.hotspots, self.engine.clock.now())
        return {"from": start, "to": end, "alerts": alerts, "current": current}

    def _name(self, group_by: str, key: str) -> str:
        if group_by == "department" and self.engine.directory is not None:
            department = self.engine.directory.get(key)
            return department.name if department else key
        if group_by == "category" and (category := self.categories.get(key)):
            return " > ".join(category.names)
        return key
