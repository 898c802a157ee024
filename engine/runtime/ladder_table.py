"""The escalation ladder: rungs at percentages of a stage's limits, each fired once.

The rungs come from the decision table `escalation_ladder` (processes/), hit policy
COLLECT: for a limit kind ("stage" or "department") every matching rule is a rung with
`percent`, `rung` (its name) and `notify` (whom to tell; see notifications.AUDIENCES).
When a stage opens, each rung becomes a timer row; it fires if the stage is still open
when its moment passes, and is cancelled when the stage closes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.definitions.decisions import ParsedDecision, evaluate_decision
from engine.errors import NoDecision
from engine.runtime.limits import LIMIT_KINDS
from engine.working_time import WorkingCalendar

LADDER_KEY = "escalation_ladder"
ORDER_KIND = "order"  # the rungs of an instance's own deadline (engine/runtime/deadline.py)
LADDER_KINDS = (*LIMIT_KINDS, ORDER_KIND)
MAX_PERCENT = 10_000


@dataclass(frozen=True)
class Rung:
    percent: float
    name: str
    notify: tuple[str, ...]


def rungs_of(decision: ParsedDecision, limit_kind: str) -> list[Rung]:
    """The ladder's rungs for one kind of limit (none if no rule matches)."""
    try:
        outputs = evaluate_decision(decision, {"limit_kind": limit_kind})
    except NoDecision:
        return []
    return parse_rungs(outputs)


def parse_rungs(outputs: dict[str, Any]) -> list[Rung]:
    """Rungs from a COLLECT result; ValueError says what is wrong with a rule."""
    if not all(isinstance(outputs.get(name), list) for name in ("percent", "rung", "notify")):
        raise ValueError("the ladder needs outputs percent, rung and notify, hit policy COLLECT")
    rungs = []
    for percent, name, notify in zip(outputs["percent"], outputs["rung"], outputs["notify"],
                                     strict=True):
        if isinstance(percent, bool) or not isinstance(percent, int | float) \
                or not 0 < percent <= MAX_PERCENT:
            raise ValueError(f"rung percent must be a number in (0, {MAX_PERCENT}], "
                             f"not {percent!r}")
        if not isinstance(name, str) or not name or len(name) > 50:
            raise ValueError(f"rung name must be text of 1-50 characters, not {name!r}")
        if not isinstance(notify, list | tuple) or not all(isinstance(n, str) for n in notify):
            raise ValueError(f"rung {name!r}: notify must be a list of names, not {notify!r}")
        rungs.append(Rung(float(percent), name, tuple(notify)))
    return sorted(rungs, key=lambda rung: rung.percent)


def ladder_problems(decision: ParsedDecision) -> list[str]:
    """What is wrong with a ladder table, found at deploy time rather than when an
    order's stage opens."""
    problems = []
    for kind in LADDER_KINDS:
        try:
            rungs_of(decision, kind)
        except Exception as err:  # a bad rule, or a cell failing on this input
            problems.append(f"limit_kind {kind!r}: {err}")
    return problems


def rung_due(rung: Rung, opened_at: datetime, limit: timedelta,
             used: timedelta = timedelta(0)) -> datetime | None:
    """When `rung` fires for a stage opened at `opened_at` under `limit`, of which the
    department had already `used` some in earlier stages; None if that moment passed
    before this stage opened (the rung fired then, during an earlier stage)."""
    due = opened_at + limit * (rung.percent / 100) - used
    return due if due > opened_at else None


def working_rung_due(rung: Rung, calendar: WorkingCalendar, opened_at: datetime,
                     span: timedelta, used: timedelta = timedelta(0)) -> datetime | None:
    """rung_due in working time: the rung falls at its share of the limit's working
    `span`, less the working time `used` in earlier stages, counted on `calendar`."""
    left = span * (rung.percent / 100) - used
    return calendar.add_time(opened_at, left) if left > timedelta(0) else None
