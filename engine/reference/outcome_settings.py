"""The settings of the complaint outcomes (data/settings.json): repeat complaints, upgraded
complaints and their liability judgments, and the problem analysis (seed 003)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

CODE = re.compile(r"[a-z][a-z0-9_]{0,49}")


@dataclass(frozen=True)
class RepeatSettings:
    """An order is a repeat when the same customer number submitted others within
    `window` before it (of the same business, with `same_business`); from
    `notify_supervisor_at` earlier orders on, the acceptance supervisor is told."""

    window: timedelta = timedelta(days=30)
    same_business: bool = False
    notify_supervisor_at: int = 3


@dataclass(frozen=True)
class Code:
    code: str
    name: str


@dataclass(frozen=True)
class UpgradeSettings:
    """Upgraded complaints (升级投诉): orders arriving through `channels` are upgraded at
    intake (their source is the channel); a manager escalates an order naming one of
    `sources`. A liability judgment names one of `liable_causes`. `service_table` is
    the decision table telling who hears of an upgrade at once."""

    channels: tuple[str, ...] = ("regulator", "consumer_association", "group_headquarters")
    sources: tuple[str, ...] = ("regulator", "consumer_association", "group_headquarters")
    liable_causes: tuple[Code, ...] = ()
    service_table: str = "upgrade_service"

    def cause(self, code: str) -> Code | None:
        return next((cause for cause in self.liable_causes if cause.code == code), None)


@dataclass(frozen=True)
class AnalysisSettings:
    """Seed 003's problem analysis: the categories behind `pareto_share` of the volume
    are the main problems; a category is simple when its first-contact resolution rate
    is at least `simple_min_fcr_rate` and its median handling time at most
    `simple_max_median`, difficult otherwise."""

    pareto_share: Decimal = Decimal("0.8")
    simple_min_fcr_rate: Decimal = Decimal("0.85")
    simple_max_median: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class OutcomeSettings:
    repeats: RepeatSettings = field(default_factory=RepeatSettings)
    upgrades: UpgradeSettings = field(default_factory=UpgradeSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    major_complaint_deduction: Decimal = Decimal("1")
    # Timeline events after which a closed order was not resolved first time.
    not_first_time_events: tuple[str, ...] = (
        "transferred", "sent_back", "audit_rejected", "reassignment_capped", "reopened")


def read_outcomes(reader: Any, document: dict) -> OutcomeSettings:
    """The outcome sections of the settings document; `reader` (settings._Reader) names
    the file and field of any error."""
    defaults = OutcomeSettings()
    repeats = reader.section(document, "repeats")
    upgrades = reader.section(document, "upgrades")
    analysis = reader.section(document, "problem_analysis")
    same_business = repeats.get("same_business", defaults.repeats.same_business)
    if not isinstance(same_business, bool):
        raise reader.fail("repeats.same_business", "expected true or false")
    window = reader.duration(repeats, "window", defaults.repeats.window, "repeats")
    if window <= timedelta(0):
        raise reader.fail("repeats.window", "must be longer than zero")
    notify_at = reader.whole(repeats, "notify_supervisor_at",
                             defaults.repeats.notify_supervisor_at, "repeats")
    if notify_at < 1:
        raise reader.fail("repeats.notify_supervisor_at", "must be at least 1")
    share = reader.number(analysis, "pareto_share", defaults.analysis.pareto_share,
                          "problem_analysis")
    rate = reader.number(analysis, "simple_min_fcr_rate",
                         defaults.analysis.simple_min_fcr_rate, "problem_analysis")
    for name, value in (("pareto_share", share), ("simple_min_fcr_rate", rate)):
        if value > 1:
            raise reader.fail(f"problem_analysis.{name}", "is a share from 0 to 1")
    return OutcomeSettings(
        RepeatSettings(window, same_business, notify_at),
        UpgradeSettings(
            channels=_codes_list(reader, upgrades, "channels", defaults.upgrades.channels),
            sources=_codes_list(reader, upgrades, "sources", defaults.upgrades.sources),
            liable_causes=_causes(reader, upgrades.get("liable_causes", [])),
            service_table=str(upgrades.get("service_table", defaults.upgrades.service_table))),
        AnalysisSettings(share, rate, reader.duration(
            analysis, "simple_max_median", defaults.analysis.simple_max_median,
            "problem_analysis")),
        reader.number(reader.section(document, "assessment"), "major_complaint_deduction",
                      defaults.major_complaint_deduction, "assessment"),
        reader.names(reader.section(document, "first_contact"), "not_first_time_events",
                     defaults.not_first_time_events, "first_contact"))


def _codes_list(reader: Any, section: dict, key: str, default: tuple) -> tuple[str, ...]:
    value = section.get(key, list(default))
    if not isinstance(value, list) or not all(
            isinstance(code, str) and CODE.fullmatch(code) for code in value):
        raise reader.fail(f"upgrades.{key}", "expected a list of codes (a-z, 0-9, '_')")
    return tuple(value)


def _causes(reader: Any, causes: Any) -> tuple[Code, ...]:
    if not isinstance(causes, list):
        raise reader.fail("upgrades.liable_causes", "expected a list")
    read = []
    for index, cause in enumerate(causes):
        where = f"upgrades.liable_causes[{index}]"
        if not isinstance(cause, dict) or not CODE.fullmatch(str(cause.get("code", ""))):
            raise reader.fail(where, "needs a code of a-z, 0-9 and '_'")
        read.append(Code(cause["code"], str(cause.get("name") or cause["code"])))
    if len({cause.code for cause in read}) != len(read):
        raise reader.fail("upgrades.liable_causes", "a code appears twice")
    return tuple(read)
