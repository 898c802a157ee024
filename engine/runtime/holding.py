"""Notifications held to the recipient's working hours: a warning that falls due at 02:00
reaches a branch when its day starts. Which events are held, and which are never held for
an instance whose variable says so (breaches of urgent orders), is data
(data/calendars.json, "notifications")."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.runtime.working_limits import CalendarOf


@dataclass(frozen=True)
class HoldRule:
    events: frozenset[str] = frozenset()  # notification events held to working hours
    # ... except these events when the instance's `variable` has one of `values`.
    never_held: frozenset[str] = frozenset()
    variable: str | None = None
    values: frozenset[Any] = field(default_factory=frozenset)


class Holding:
    def __init__(self, rule: HoldRule | None, calendar_of: CalendarOf | None) -> None:
        self.rule = rule
        self.calendar_of = calendar_of

    def for_event(self, event: str, variables: Mapping[str, Any],
                  now: datetime) -> Callable[[str], datetime | None]:
        """When a notification of `event` about an instance with `variables` reaches each
        recipient: None at once, else the start of the recipient's next working time."""
        rule = self.rule
        if rule is None or self.calendar_of is None or event not in rule.events or (
                event in rule.never_held and rule.variable is not None
                and variables.get(rule.variable) in rule.values):
            return lambda recipient: None
        calendar_of = self.calendar_of

        def until(recipient: str) -> datetime | None:
            opens = next(calendar_of(recipient).intervals(now))[0]
            return opens if opens > now else None

        return until
