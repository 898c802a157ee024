"""Settings a designer or operator changes without touching code (data/settings.json):
work-order numbering, the assessment (KPI) formula, the hotspot rules, and the bounds on
what designers deploy (timers, cycles, the service-level factor, diagram sizes)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.definitions.limits import DefinitionLimits
from engine.reference.categories import is_under
from engine.reference.data_files import DataFileInvalid, read_json
from engine.reference.outcome_settings import OutcomeSettings, read_outcomes
from engine.runtime.sandbox import parse_duration

RULE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
NUMBER_PREFIX = re.compile(r"[A-Z0-9]{1,10}")


class SettingsInvalid(DataFileInvalid):
    """The settings file is malformed; the message says where."""


@dataclass(frozen=True)
class WorkOrderSettings:
    number_prefix: str = "WO"
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # An urge presses the holders; a flood of them (a client retrying in a loop) would
    # only make noise and grow the order's state, so they are spaced and counted.
    urge_min_interval: timedelta = timedelta(minutes=10)
    urge_max_per_order: int = 20


@dataclass(frozen=True)
class AssessmentSettings:
    """The assessment of DOMAIN.md: monthly deduction = deduction value x liable
    escalated complaints; at year end, within the ceiling the year's monthly deductions
    x within_ceiling_factor, above it above_ceiling_base + above_ceiling_per_complaint x
    (count above the ceiling), at most year_cap."""

    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # Timeline entries that make the department they name liable for the order.
    liable_events: tuple[str, ...] = ("stage_overdue", "department_overdue")
    deduction_value: Decimal = Decimal("0.5")  # per department unless it says otherwise
    ceiling: int = 12
    within_ceiling_factor: Decimal = Decimal("0.1")
    above_ceiling_base: Decimal = Decimal("5")
    above_ceiling_per_complaint: Decimal = Decimal("0.5")
    year_cap: Decimal = Decimal("10")


@dataclass(frozen=True)
class HotspotRule:
    """`threshold` complaints within `window` raise an alert: of one category (under
    `category`, if given), or whose content has one of `keywords`."""

    name: str
    threshold: int
    window: timedelta
    category: str | None = None  # a category or a prefix such as "value_added"
    keywords: tuple[str, ...] = ()
    department: str | None = None  # told of the alert; default: the order's processing one

    @property
    def by_keywords(self) -> bool:
        return bool(self.keywords)


@dataclass(frozen=True)
class Settings:
    work_orders: WorkOrderSettings = field(default_factory=WorkOrderSettings)
    assessment: AssessmentSettings = field(default_factory=AssessmentSettings)
    hotspots: tuple[HotspotRule, ...] = ()
    definitions: DefinitionLimits = field(default_factory=DefinitionLimits)
    outcomes: OutcomeSettings = field(default_factory=OutcomeSettings)

    @classmethod
    def load(cls, path: Path) -> Settings:
        return cls.from_document(read_json(path, SettingsInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "settings") -> Settings:
        if not isinstance(document, dict):
            raise SettingsInvalid(f"{source}: expected a JSON object")
        reader = _Reader(source)
        numbering = reader.section(document, "work_orders")
        assessment = reader.section(document, "assessment")
        orders, defaults = WorkOrderSettings(), AssessmentSettings()  # what is left out
        return cls(
            WorkOrderSettings(
                reader.prefix(numbering, orders.number_prefix),
                reader.zone(numbering, "number_time_zone", orders.time_zone, "work_orders"),
                reader.duration(numbering, "urge_min_interval", orders.urge_min_interval,
                                "work_orders"),
                reader.whole(numbering, "urge_max_per_order", orders.urge_max_per_order,
                             "work_orders")),
            AssessmentSettings(
                time_zone=reader.zone(assessment, "time_zone", defaults.time_zone,
                                      "assessment"),
                liable_events=reader.names(assessment, "liable_events",
                                           defaults.liable_events, "assessment"),
                deduction_value=reader.number(assessment, "deduction_value",
                                              defaults.deduction_value, "assessment"),
                ceiling=reader.whole(assessment, "ceiling", defaults.ceiling, "assessment"),
                within_ceiling_factor=reader.number(
                    assessment, "within_ceiling_factor", defaults.within_ceiling_factor,
                    "assessment"),
                above_ceiling_base=reader.number(assessment, "above_ceiling_base",
                                                 defaults.above_ceiling_base, "assessment"),
                above_ceiling_per_complaint=reader.number(
                    assessment, "above_ceiling_per_complaint",
                    defaults.above_ceiling_per_complaint, "assessment"),
                year_cap=reader.number(assessment, "year_cap", defaults.year_cap,
                                       "assessment")),
            reader.rules(reader.section(document, "hotspots").get("rules", [])),
            reader.limits(reader.section(document, "definitions")),
            read_outcomes(reader, document),
        )

    def problems(self, categories: Any, directory: Any) -> list[str]:
        """What the settings name that the category tree or the directory lacks."""
        problems = []
        paths = [category.path for category in categories]
        for rule in self.hotspots:
            if rule.category is not None and not any(
                    is_under(path, rule.category) for path in paths):
                problems.append(f"hotspots rule {rule.name!r}: no category is "
                                f"{rule.category!r} or under it")
            if rule.department is not None and directory is not None \
                    and rule.department not in directory:
                problems.append(f"hotspots rule {rule.name!r}: {rule.department!r} is not "
                                "a department")
        return problems


class _Reader:
    """Reads values out of the document, each error naming where it is."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> SettingsInvalid:
        return SettingsInvalid(f"{self.source}: {where}: {message}")

    def section(self, document: dict, name: str) -> dict:
        section = document.get(name, {})
        if not isinstance(section, dict):
            raise self.fail(name, "expected an object")
        return section

    def prefix(self, section: dict, default: str) -> str:
        value = section.get("number_prefix", default)
        if not isinstance(value, str) or not NUMBER_PREFIX.fullmatch(value):
            raise self.fail("work_orders.number_prefix", "1-10 of A-Z and 0-9")
        return value

    def duration(self, section: dict, key: str, default: timedelta, where: str) -> timedelta:
        if key not in section:
            return default
        value = section[key]
        try:
            return parse_duration(str(value))
        except (ValueError, ArithmeticError):
            raise self.fail(f"{where}.{key}", f"{value!r} is not an ISO 8601 duration such "
                                              "as PT10M") from None

    def zone(self, section: dict, key: str, default: ZoneInfo, where: str) -> ZoneInfo:
        if key not in section:
            return default
        name = section[key]
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise self.fail(f"{where}.{key}", f"{name!r} is not a time zone") from None

    def number(self, section: dict, key: str, default: Any, where: str) -> Decimal:
        value = section.get(key, default)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(f"{where}.{key}", f"{value!r} is not a number") from None
        if isinstance(value, bool) or not number.is_finite() or number < 0:
            raise self.fail(f"{where}.{key}", f"{value!r} is not a number >= 0")
        return number

    def whole(self, section: dict, key: str, default: int, where: str) -> int:
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{where}.{key}", f"{value!r} is not a whole number >= 0")
        return value

    def names(self, section: dict, key: str, default: tuple, where: str) -> tuple[str, ...]:
        value = section.get(key, list(default))
        if not isinstance(value, list) or not value or not all(
                isinstance(name, str) and name for name in value):
            raise self.fail(f"{where}.{key}", "expected a list of names")
        return tuple(value)

    def limits(self, section: dict) -> DefinitionLimits:
        """The bounds on what designers deploy; each left out keeps its default."""
        defaults, where = DefinitionLimits(), "definitions"
        known = set(DefinitionLimits.__dataclass_fields__) | {"description"}
        if unknown := sorted(set(section) - known):
            raise self.fail(where, f"unknown setting(s) {', '.join(unknown)}")
        durations = {name: self.duration(section, name, getattr(defaults, name), where)
                     for name in ("min_duration", "max_duration", "min_cycle_interval")}
        wholes = {name: self.whole(section, name, getattr(defaults, name), where)
                  for name in ("max_cycle_repetitions", "max_file_bytes", "max_elements",
                               "max_flow_nodes", "max_nesting")}
        factor = self.number(section, "max_limit_factor", defaults.max_limit_factor, where)
        limits = DefinitionLimits(**durations, **wholes,  # type: ignore[arg-type]
                                  max_limit_factor=float(factor))
        if problems := limits.problems():
            raise self.fail(where, "; ".join(problems))
        return limits

    def rules(self, rules: Any) -> tuple[HotspotRule, ...]:
        if not isinstance(rules, list):
            raise self.fail("hotspots.rules", "expected a list")
        read = tuple(self.rule(rule, index) for index, rule in enumerate(rules))
        names = [rule.name for rule in read]
        if len(set(names)) != len(names):
            raise self.fail("hotspots.rules", "two rules have the same name")
        return read

    def rule(self, rule: Any, index: int) -> HotspotRule:
        where = f"hotspots.rules[{index}]"
        if not isinstance(rule, dict) or not RULE_NAME.fullmatch(str(rule.get("name", ""))):
            raise self.fail(where, "needs a name of a-z, 0-9 and '_'")
        try:
            window = parse_duration(str(rule.get("window", "")))
        except (ValueError, ArithmeticError):
            raise self.fail(where, f"window {rule.get('window')!r} is not an ISO 8601 "
                                   "duration such as PT1H") from None
        threshold = rule.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 2:
            raise self.fail(where, "threshold must be a whole number of at least 2")
        keywords = rule.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip()
                                                     for k in keywords):
            raise self.fail(where, "keywords must be a list of words")
        if window <= timedelta(0):
            raise self.fail(where, "window must be longer than zero")
        return HotspotRule(rule["name"], threshold, window, rule.get("category"),
                           tuple(k.strip() for k in keywords), rule.get("department"))
