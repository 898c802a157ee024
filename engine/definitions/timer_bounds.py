"""Timer expressions of a diagram within the designer limits (engine/definitions/
limits.py), checked at deploy: an ISO 8601 duration written in quotes, or as the limit of
`scaled(...)` / `department_time_left(...)` (whose optional third argument, "working"
or "elapsed", says which clock it counts), lies between the shortest and the longest
allowed; a factor written in the diagram is bounded like a service level's; a cycle
names how many times it repeats and repeats no more often than allowed.

A duration computed from the order's data (a variable) cannot be known here.
"""
from __future__ import annotations

import ast
import math
import re
from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.definitions.limits import DefinitionLimits
from engine.runtime.limits import LIMIT_FUNCTIONS
from engine.runtime.sandbox import format_duration, parse_duration
from engine.runtime.working_limits import CLOCKS

# The names a factor may be read from: set by the start decision, whose values are
# bounded when that table is deployed (engine/definitions/cross_checks.py).
FACTOR_NAMES = ("limit_factor",)
_CYCLE = re.compile(r"R(\d*)/(.+)")
_SOME_START = datetime(2026, 1, 31, tzinfo=UTC)  # how SpiffWorkflow reads it, from a day


def duration_problems(expression: str, limits: DefinitionLimits) -> list[str]:
    """What is wrong with a timeDuration expression, [] when nothing is."""
    node = _parsed(expression)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return _duration_problems(node.value, limits, read_by_spiff=True)
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in LIMIT_FUNCTIONS):
        return []
    name = node.func.id
    if node.keywords or not 1 <= len(node.args) <= 3:
        return [f"{name}() takes the limit in quotes and, optionally, a factor and the "
                f'clock it counts: {name}("<ISO 8601 duration>", limit_factor, "working")']
    if len(node.args) == 3 and not (isinstance(node.args[2], ast.Constant)
                                    and node.args[2].value in CLOCKS):
        return [f"{name}(): the third argument says which clock the limit counts, "
                f"{' or '.join(repr(clock) for clock in CLOCKS)} (in quotes)"]
    limit = node.args[0]
    if not (isinstance(limit, ast.Constant) and isinstance(limit.value, str)):
        return [f"the limit of {name}() must be an ISO 8601 duration in quotes, e.g. "
                f'{name}("<ISO 8601 duration>", limit_factor)']
    problems = _duration_problems(limit.value, limits, read_by_spiff=False)
    if len(node.args) >= 2 and (problem := _factor_problem(node.args[1], limits)):
        problems.append(f"{name}(): {problem}")
    return problems


def cycle_problems(expression: str, limits: DefinitionLimits) -> list[str]:
    """What is wrong with a timeCycle expression: it must be a quoted ISO 8601 repeating
    interval with a number of repetitions, "R<n>/<duration>" (or with a start or end
    date)."""
    node = _parsed(expression)
    if node is None:
        return []  # not an expression at all: reported by the expression check
    minutes = max(10, math.ceil(limits.min_cycle_interval.total_seconds() / 60))
    sample = f'"R3/PT{minutes}M"'
    example = f"e.g. {sample}"
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return [f"a timer cycle must be written in quotes ({example}), not computed: "
                "its repetitions and interval are checked at deploy"]
    literal = node.value
    match = _CYCLE.fullmatch(literal)
    if match is None:
        return [f"timer cycle {literal!r} is not an ISO 8601 repeating interval such as "
                f"{sample}"]
    repetitions, parts = match.group(1), match.group(2).split("/")
    if not repetitions:
        return [f"timer cycle {literal!r} repeats without end: write how many times, "
                f"at most {limits.max_cycle_repetitions} ({example})"]
    if not 1 <= int(repetitions) <= limits.max_cycle_repetitions:
        return [f"timer cycle {literal!r} repeats {int(repetitions)} times; from 1 to "
                f"{limits.max_cycle_repetitions} (settings: "
                "definitions.max_cycle_repetitions)"]
    durations = [part for part in parts if part.upper().startswith("P")]
    dates = [part for part in parts if not part.upper().startswith("P")]
    if len(parts) > 2 or len(durations) != 1:
        return [f"timer cycle {literal!r}: write R<n>/<duration>, optionally with a start "
                "date before or an end date after the duration"]
    problems = [f"timer cycle {literal!r}: {problem}" for problem in _date_problems(dates)]
    interval = durations[0]
    problems.extend(_duration_problems(interval, limits, read_by_spiff=True,
                                       shortest=limits.min_cycle_interval,
                                       shortest_setting="definitions.min_cycle_interval"))
    return problems


def _parsed(expression: str) -> ast.expr | None:
    try:
        return ast.parse((expression or "").strip(), mode="eval").body
    except SyntaxError:
        return None  # the expression check reports it


def _duration_problems(literal: str, limits: DefinitionLimits, *, read_by_spiff: bool,
                       shortest: timedelta | None = None,
                       shortest_setting: str = "definitions.min_duration") -> list[str]:
    shortest = limits.min_duration if shortest is None else shortest
    try:
        value = parse_duration(literal)
    except (ValueError, ArithmeticError) as err:
        return [f"timer duration {literal!r} is not an ISO 8601 duration: {err}"]
    if value <= timedelta(0):
        return [f"timer duration {literal!r} is not longer than zero"]
    if value < shortest:
        return [f"timer duration {literal!r} is shorter than {format_duration(shortest)} "
                f"(settings: {shortest_setting})"]
    if value > limits.max_duration:
        return [f"timer duration {literal!r} is longer than "
                f"{format_duration(limits.max_duration)} (settings: definitions.max_duration)"]
    if read_by_spiff and _as_spiffworkflow_reads_it(literal) != value:
        return [f"timer duration {literal!r} would not be read as {format_duration(value)} "
                f"when the timer starts: write {format_duration(value)!r}"]
    return []


def _as_spiffworkflow_reads_it(literal: str) -> timedelta | None:
    """A quoted duration is read by SpiffWorkflow's own parser when the timer starts
    (which, for one, drops a leading minus)."""
    try:
        parsed = TimerEventDefinition.parse_iso_duration(literal)
        return TimerEventDefinition.get_timedelta_from_start(parsed, _SOME_START)
    except Exception:  # any failure means it would not be read as written
        return None


def _factor_problem(node: ast.expr, limits: DefinitionLimits) -> str | None:
    if isinstance(node, ast.Name) and node.id in FACTOR_NAMES:
        return None
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd) \
            and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        value = -value if isinstance(node.op, ast.USub) and isinstance(value, int | float) \
            else value
    if isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value) and 0 < value <= limits.max_limit_factor:
        return None
    return (f"the factor must be {' or '.join(FACTOR_NAMES)} (set by the start decision) or "
            f"a number above 0 and at most {limits.max_limit_factor:g} (settings: "
            "definitions.max_limit_factor)")


def _date_problems(dates: list[str]) -> list[str]:
    problems = []
    for text in dates:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            problems.append(f"{text!r} is not an ISO 8601 date-time")
            continue
        if moment.tzinfo is None:
            problems.append(f"{text!r} has no time zone; write it with an offset, e.g. "
                            "+08:00 or Z")
    return problems
