"""Limits counted in working time.

A diagram says which clock a limit counts on with a last argument of its limit function:
`scaled("PT2H", limit_factor, "working")`, `department_time_left("PT3H", limit_factor,
"working")`. Without it the limit counts elapsed time, as every diagram did before. A
working limit counts the working calendar of the department holding the stage
(`CalendarOf`); its timer is still an ordinary duration timer, set to the elapsed time
that reaches the working-time due moment.
"""
from __future__ import annotations

import ast
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.working_time import WorkingCalendar, WorkingDuration

ELAPSED, WORKING = "elapsed", "working"
CLOCKS = (ELAPSED, WORKING)
CalendarOf = Callable[[str], WorkingCalendar]  # a department's id -> its calendar
# Workflow data: {lane: {department: working seconds held}} (sandbox.DEPARTMENT_SECONDS_KEY
# holds the elapsed seconds).
DEPARTMENT_WORKING_KEY = "department_working_seconds"


def clock_name(value: Any) -> str:
    if value not in CLOCKS:
        raise ValueError(f"a limit counts {' or '.join(repr(c) for c in CLOCKS)} time, "
                         f"not {value!r}")
    return str(value)


def clock_of(expression: str | None) -> str:
    """The clock a timer expression's limit counts on (its limit function's third
    argument; elapsed when absent or not a limit function)."""
    try:
        node = ast.parse((expression or "").strip(), mode="eval").body
    except SyntaxError:
        return ELAPSED
    if isinstance(node, ast.Call) and len(node.args) >= 3 \
            and isinstance(node.args[2], ast.Constant) and node.args[2].value == WORKING:
        return WORKING
    return ELAPSED


def working_due(calendar: WorkingCalendar, start: datetime, limit: str, factor: Any,
                used: timedelta = timedelta(0)) -> datetime:
    """When a working `limit` (scaled by `factor`) opened at `start` is used up, of which
    `used` working time went in earlier stages."""
    end = calendar.add(start, WorkingDuration.parse(limit).scaled(_factor(factor)))
    if not used:
        return end
    return calendar.add_time(start, calendar.working_between(start, end) - used)


def working_span(calendar: WorkingCalendar, start: datetime, limit: str) -> timedelta:
    """A working `limit` as working time, counted from `start` (a day is that day's hours)."""
    return calendar.working_between(start, calendar.add(start, limit))


def as_timer_duration(start: datetime, due: datetime) -> timedelta:
    """The elapsed time from `start` to `due` in whole seconds, rounded up (SpiffWorkflow
    adds it to the same "now" to set the timer)."""
    return timedelta(seconds=max(0, math.ceil((due - start).total_seconds())))


def working_seconds_used(workflow: Any, lane: str | None, department: str) -> float:
    used = workflow.top_workflow.data.get(DEPARTMENT_WORKING_KEY, {}).get(lane or "", {})
    return float(used.get(department, 0.0))


def add_working_seconds(workflow: Any, lane: str | None, department: str,
                        seconds: float) -> None:
    lanes = workflow.top_workflow.data.setdefault(DEPARTMENT_WORKING_KEY, {})
    used = lanes.setdefault(lane or "", {})
    used[department] = used.get(department, 0.0) + seconds


def _factor(factor: Any) -> float:
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0:
        raise ValueError(f"a limit factor must be a positive number, not {factor!r}")
    return float(factor)
