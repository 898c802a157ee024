"""Reports for managers: timeliness, stages at risk, the KPI assessment, hotspots,
satisfaction and reopening.

Read-only over the engine's records (stages, timeline, work orders, hotspot alerts);
no Flask here.
"""
from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.process_engine import ProcessEngine
from engine.reference.categories import Categories
from engine.reference.settings import Settings
from engine.reports import outcomes
from engine.reports.at_risk import AtRiskStage, at_risk
from engine.reports.chart import daily_on_time_svg
from engine.reports.kpi import assess
from engine.reports.satisfaction import satisfaction
from engine.reports.service_clock import order_deadlines
from engine.reports.timeliness import GROUPINGS, daily_on_time, timeliness
from engine.reports.window import report_window
from engine.runtime.sandbox import format_duration
from engine.store.queries import Page
from engine.workorders.hotspots import Burst, current_bursts
from engine.workorders.models import HotspotAlert

__all__ = ["GROUPINGS", "AtRiskStage", "Reports"]
DEFAULT_AT_RISK_PERCENT = 75.0  # when no escalation ladder is deployed


class Reports:
    def __init__(self, engine: ProcessEngine, categories: Categories,
                 settings: Settings) -> None:
        self.engine = engine
        self.categories = categories
        self.settings = settings

    @property
    def time_zone(self) -> tzinfo:
        """Where dates and days of the reports are counted."""
        return self.settings.assessment.time_zone

    def window(self, start: date | datetime | None,
               end: date | datetime | None) -> tuple[datetime, datetime]:
        """The report window [start, end) in UTC (a date is its midnight in the reports'
        time zone); WindowInvalid says what is wrong with it."""
        return report_window(start, end, self.engine.clock.now(), self.time_zone)

    def timeliness(self, start: datetime, end: datetime, group_by: str) -> dict[str, Any]:
        with self.engine.reading() as session:
            return timeliness(session, start, end, group_by, self.engine.clock.now(),
                              self._name)

    def order_deadlines(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Orders closed in [start, end) within their order deadline, per acceptance
        department, and the time their stages stood paused."""
        with self.engine.reading() as session:
            return order_deadlines(session, start, end)

    def daily_on_time(self, start: datetime, end: datetime) -> dict[str, list]:
        with self.engine.reading() as session:
            return daily_on_time(session, start, end, self.time_zone)

    def daily_on_time_chart(self, start: datetime, end: datetime) -> bytes:
        zone = self.time_zone
        title = (f"On-time rate per department, {start.astimezone(zone):%Y-%m-%d} to "
                 f"{end.astimezone(zone):%Y-%m-%d} ({zone})")
        series = {self.department_name(department): points
                  for department, points in self.daily_on_time(start, end).items()}
        return daily_on_time_svg(series, title)

    def at_risk(self, *, threshold_percent: float | None = None,
                **query: Any) -> tuple[Page, float]:
        """Open stages at risk or breached, and the share of the limit used as "at risk"
        (the ladder's first rung unless `threshold_percent` is given)."""
        with self.engine.reading() as session:
            threshold = threshold_percent or self._warning_percent(session)
            return at_risk(session, self.engine.clock.now(), threshold, **query), threshold

    def _warning_percent(self, session: Session) -> float:
        """The ladder's first stage rung: from there a stage counts as at risk."""
        rungs = self.engine.catalog.ladder_rungs(session).get("stage")
        return rungs[0].percent if rungs else DEFAULT_AT_RISK_PERCENT

    def kpi(self, year: int, month: int | None = None) -> dict[str, Any]:
        with self.engine.reading() as session:
            return assess(session, self.settings.assessment, self.engine.directory, year,
                          month, self.settings.outcomes.major_complaint_deduction)

    def hotspots(self, start: datetime, end: datetime) -> dict[str, Any]:
        """Alerts raised in [start, end), and what is past a threshold right now."""
        with self.engine.reading() as session:
            alerts = session.scalars(select(HotspotAlert).where(
                HotspotAlert.raised_at >= start, HotspotAlert.raised_at < end)
                .order_by(HotspotAlert.raised_at.desc(), HotspotAlert.id.desc()))
            return {"from": start, "to": end,
                    "alerts": [_alert(alert) for alert in alerts],
                    "current": [_burst(burst) for burst in current_bursts(
                        session, self.settings.hotspots, self.engine.clock.now())]}

    def first_contact(self, start: datetime, end: datetime, group_by: str,
                      scope: str | None = None) -> dict[str, Any]:
        with self.engine.reading() as session:
            return outcomes.first_contact(session, self.settings.outcomes, start, end,
                                          group_by, self.time_zone, scope)

    def repeats(self, start: datetime, end: datetime, group_by: str,
                scope: str | None = None) -> dict[str, Any]:
        with self.engine.reading() as session:
            return outcomes.repeats(session, start, end, group_by, self.time_zone, scope)

    def upgrades(self, start: datetime, end: datetime,
                 scope: str | None = None) -> dict[str, Any]:
        with self.engine.reading() as session:
            return outcomes.upgrades(session, self.settings.outcomes, start, end, scope)

    def problems(self, start: datetime, end: datetime,
                 scope: str | None = None) -> dict[str, Any]:
        with self.engine.reading() as session:
            return outcomes.problems(session, self.settings.outcomes, start, end,
                                     lambda key: self._name("category", key), scope)

    def satisfaction(self, start: datetime, end: datetime, group_by: str,
                     department: str | None = None) -> dict[str, Any]:
        """Feedback and return-visit satisfaction, reply ratings and reopening per
        processing department, acceptance department or category (engine/reports/
        satisfaction.py); with `department`, the orders it processed or accepted."""
        with self.engine.reading() as session:
            return satisfaction(session, start, end, group_by, department, self._name)

    def department_name(self, department: str) -> str:
        entry = self.engine.directory.get(department) if self.engine.directory else None
        return entry.name if entry else department

    def _name(self, group_by: str, key: str) -> str:
        if group_by in ("department", "acceptance_department"):
            return self.department_name(key)
        if group_by == "category" and (category := self.categories.get(key)):
            return " > ".join(category.names)
        return key


def _alert(alert: HotspotAlert) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in (
        "id", "rule", "key", "window_start", "window", "threshold", "count", "department",
        "raised_at", "business_key")}


def _burst(burst: Burst) -> dict[str, Any]:
    return {"rule": burst.rule.name, "key": burst.key, "count": burst.count,
            "threshold": burst.rule.threshold, "window": format_duration(burst.rule.window)}
