"""The restricted expression evaluator: the only way diagram text is ever evaluated.

Gateway conditions, timer expressions and DMN cells are checked against an allow-list
of syntax (no attribute access, no comprehensions, no lambdas, no names starting with
an underscore, calls only to allow-listed functions) and then evaluated by simpleeval.
Script tasks and pre/post scripts are refused outright.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import timedelta
from functools import lru_cache
from typing import Any

import isodate
from simpleeval import EvalWithCompoundTypes
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.clock import current_time
from engine.runtime.working_limits import (
    ELAPSED,
    WORKING,
    CalendarOf,
    as_timer_duration,
    clock_name,
    working_due,
    working_seconds_used,
)
from engine.working_time import WorkingCalendar, WorkingDuration


def _scalar_str(value: Any) -> str:
    """str() of a scalar only: str() of a container can inflate it many times over."""
    if not isinstance(value, str | int | float | bool | type(None)):
        raise ValueError(f"str() takes a number, text or boolean, not {type(value).__name__}")
    return str(value)


def _number_sum(values: Any) -> float:
    """sum() of numbers only (sum of lists would concatenate them quadratically)."""
    values = list(values)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError("sum() takes numbers only")
    return sum(values)


def _under(path: Any, prefix: Any) -> bool:
    """Whether `path` is `prefix` or lies below it, levels separated by "/" (a rule on a
    tree of any depth: under(?, "network/no_signal"))."""
    if not isinstance(path, str) or not isinstance(prefix, str) or not prefix:
        return False
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


# Functions a diagram may call, besides the task-bound ones added per evaluation.
SAFE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "str": _scalar_str,
    "int": int,
    "float": float,
    "bool": bool,
    "sum": _number_sum,
    "any": any,
    "all": all,
    "sorted": sorted,
    "under": _under,
}
TASK_FUNCTIONS = ("department_time_left", "scaled", "count_events", "decide")
ALLOWED_CALLS = frozenset(SAFE_FUNCTIONS) | frozenset(TASK_FUNCTIONS)

_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load,
    ast.BoolOp, ast.And, ast.Or,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
    ast.In, ast.NotIn, ast.Is, ast.IsNot,
    ast.IfExp, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Subscript, ast.Slice,
    ast.Call,
)
MAX_EXPRESSION_LENGTH = 2000
MAX_ELEMENTS = 100_000  # what repeating a list or text may produce, nested elements counted
MAX_EXPRESSION_NODES = 300
MAX_EXPRESSION_DEPTH = 30


class ExpressionError(ValueError):
    """An expression that may not be evaluated; the message says why."""

    def __init__(self, expression: str, reason: str) -> None:
        self.expression = expression
        self.reason = reason
        super().__init__(f"expression {expression!r} refused: {reason}")


class ScriptRefused(WorkflowTaskException):
    """Raised if anything asks the engine to run script code."""


@lru_cache(maxsize=4096)
def check_expression(expression: str) -> None:
    """Raise ExpressionError unless `expression` stays inside the allow-list."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(expression[:80], f"longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(expression, f"not a valid expression ({err.msg})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_EXPRESSION_NODES:
        raise ExpressionError(expression, f"more than {MAX_EXPRESSION_NODES} parts; simplify it")
    if _depth(tree) > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(expression, f"nested deeper than {MAX_EXPRESSION_DEPTH} levels")
    calls = []
    for node in nodes:
        if isinstance(node, ast.Attribute):
            raise ExpressionError(expression, f"attribute access '.{node.attr}' is not allowed")
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(expression, f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ExpressionError(expression, f"name '{node.id}' is not allowed")
        if isinstance(node, ast.Call):
            calls.append(node)
    # Calls last, so that `x.__class__()` is reported as the attribute access it is.
    for node in calls:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in ALLOWED_CALLS:
            raise ExpressionError(
                expression, f"call to '{name or ast.unparse(node.func)}' is not allowed"
            )
        if any(kw.arg is None for kw in node.keywords) or any(
            isinstance(arg, ast.Starred) for arg in node.args
        ):
            raise ExpressionError(expression, "argument unpacking is not allowed")


def _depth(node: ast.AST) -> int:
    children = list(ast.iter_child_nodes(node))
    return 1 + max((_depth(child) for child in children), default=0) if children else 1


def _element_count(value: Any, budget: int) -> int:
    """Elements in `value`, nested lists and texts included, counted up to `budget`."""
    if isinstance(value, str | bytes):
        return len(value)
    if not isinstance(value, list | tuple):
        return 1
    count = len(value)
    for item in value:
        if count > budget:
            break
        if isinstance(item, list | tuple | str | bytes):
            count += _element_count(item, budget - count)
    return count


def _multiply(left: Any, right: Any) -> Any:
    """`*`, refusing repetitions that would build more than MAX_ELEMENTS elements
    (`[[1] * 3000] * 3000` looks small but holds nine million)."""
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, list | tuple | str | bytes) and isinstance(times, int):
            per_copy = _element_count(sequence, MAX_ELEMENTS)
            if per_copy * max(times, 0) > MAX_ELEMENTS:
                raise ValueError(f"repetition would build more than {MAX_ELEMENTS} elements")
    return left * right


def _modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str | bytes):
        raise ValueError("'%' formatting of text is not allowed")
    return left % right


def evaluate_expression(
    expression: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """Check then evaluate `expression` with `names` as variables."""
    check_expression(expression)
    evaluator = EvalWithCompoundTypes(
        names=dict(names), functions={**SAFE_FUNCTIONS, **(functions or {})}
    )
    evaluator.operators = {**evaluator.operators, ast.Mod: _modulo, ast.Mult: _multiply}
    return evaluator.eval(expression.strip(), _parsed(expression.strip()))


@lru_cache(maxsize=4096)
def _parsed(expression: str) -> ast.AST:
    # A diagram has few distinct expressions, evaluated again and again: parse each once
    # (simpleeval only reads the tree).
    return EvalWithCompoundTypes.parse(expression)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of days and time (no years or months) as a timedelta."""
    value = isodate.parse_duration(text)
    if not isinstance(value, timedelta):
        raise ValueError(f"{text!r}: use days, hours, minutes and seconds, not years or months")
    return value


def format_duration(delta: timedelta) -> str:
    """A timedelta as the shortest ISO 8601 duration ("PT1H15M"), which SpiffWorkflow
    reads back; a negative one (a total already used up) is zero."""
    return isodate.duration_isoformat(max(delta, timedelta(0)))


def scaled_duration(limit: str, factor: Any = 1) -> timedelta:
    """`limit` multiplied by the order's `factor` (urgent orders and VIP customers get
    tighter limits from the service-level table)."""
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor <= 0:
        raise ValueError(f"a limit factor must be a positive number, not {factor!r}")
    return parse_duration(limit) * factor


DEPARTMENT_SECONDS_KEY = "department_seconds"  # workflow data: {lane: {department: seconds}}
EVENT_COUNTS_KEY = "event_counts"  # workflow data: {escalation code: times thrown}


def department_seconds_used(workflow: Any, lane: str | None, department: str) -> float:
    """Seconds `department` has already held this order in `lane` (each department a
    lane passes through has a budget of its own: a transfer starts a fresh one)."""
    used = workflow.top_workflow.data.get(DEPARTMENT_SECONDS_KEY, {}).get(lane or "", {})
    if isinstance(used, int | float):  # kept per lane before transfers: one department
        return float(used)
    return float(used.get(department, 0.0))


def add_department_seconds(workflow: Any, lane: str | None, department: str,
                           seconds: float) -> None:
    lanes = workflow.top_workflow.data.setdefault(DEPARTMENT_SECONDS_KEY, {})
    used = lanes.get(lane or "", {})
    if isinstance(used, int | float):  # an order from before transfers: its department's
        used = {department: float(used)}
    used[department] = used.get(department, 0.0) + seconds
    lanes[lane or ""] = used


def count_thrown(workflow: Any, codes: tuple[str, ...]) -> int:
    counts = workflow.top_workflow.data.get(EVENT_COUNTS_KEY, {})
    return sum(int(counts.get(code, 0)) for code in codes)


def note_thrown(workflow: Any, code: str) -> None:
    counts = workflow.top_workflow.data.setdefault(EVENT_COUNTS_KEY, {})
    counts[code] = counts.get(code, 0) + 1


def _task_functions(task: Any, calendar_of: CalendarOf | None = None, *,
                    budget_only: bool = False) -> dict[str, Callable[..., Any]]:
    """Functions bound to the task an expression is evaluated for. With `budget_only`,
    department_time_left gives the whole (scaled) budget: what the limit *is*, rather
    than what is left of it. A limit whose last argument is "working" counts the working
    calendar of the department holding the stage (engine/runtime/working_limits.py)."""

    def calendar() -> WorkingCalendar:
        if calendar_of is None:
            raise ValueError("this engine has no working calendars: a limit counting "
                             "\"working\" time cannot be set")
        return calendar_of(department_of(task))

    def department_time_left(limit: str, factor: Any = 1, clock: str = ELAPSED) -> str:
        """The rest of the department's total limit, as a timer duration."""
        if clock_name(clock) == WORKING:
            if budget_only:
                return WorkingDuration.parse(limit).scaled(float(factor)).isoformat()
            used = working_seconds_used(task.workflow, task.task_spec.lane, department_of(task))
            now = current_time()
            due = working_due(calendar(), now, limit, factor, timedelta(seconds=used))
            return format_duration(as_timer_duration(now, due))
        budget = scaled_duration(limit, factor)
        if budget_only:
            return format_duration(budget)
        department = department_of(task)
        used = department_seconds_used(task.workflow, task.task_spec.lane, department)
        return format_duration(budget - timedelta(seconds=used))

    def scaled(limit: str, factor: Any = 1, clock: str = ELAPSED) -> str:
        if clock_name(clock) == WORKING:
            if budget_only:
                return WorkingDuration.parse(limit).scaled(float(factor)).isoformat()
            now = current_time()
            return format_duration(as_timer_duration(now, working_due(calendar(), now,
                                                                      limit, factor)))
        return format_duration(scaled_duration(limit, factor))

    def count_events(*codes: str) -> int:
        """How often the order has thrown these escalation codes (e.g. transfers)."""
        return count_thrown(task.workflow, codes)

    def decide(key: str, output: str) -> Any:
        """Output `output` of the newest deployed decision table `key`, evaluated on
        the instance's data now (a gateway consults a table mid-flow)."""
        evaluate = DECISIONS.get()
        if evaluate is None:
            raise ValueError("decision tables cannot be consulted here")
        outputs = evaluate(str(key), dict(task.data))
        if output not in outputs:
            raise ValueError(f"decision {key!r} has no output {output!r}")
        return outputs[output]

    return {"department_time_left": department_time_left, "scaled": scaled,
            "count_events": count_events, "decide": decide}


# What decide() evaluates a table with while a step runs (set by the pipeline): the
# table's key and the instance's data -> the outputs of the matching rule.
DECISIONS: ContextVar[Callable[[str, dict[str, Any]], dict[str, Any]] | None] = ContextVar(
    "decisions", default=None)


LANE_SUFFIX = "_department"  # <lane>_department names the department working a lane


def lane_variable(lane: str | None) -> str:
    """The instance variable naming the department that works `lane`: Processing ->
    processing_department."""
    return f"{(lane or 'unassigned').lower()}{LANE_SUFFIX}"


def department_of(task: Any) -> str:
    """The concrete department working `task`: `<lane>_department` from the order's
    data (set by the submission or a dispatch form), else the lane itself."""
    lane = task.task_spec.lane or "unassigned"
    chosen = task.data.get(lane_variable(lane))
    return str(chosen) if chosen else lane


class _RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    def evaluate(self, expression, context, external_context=None):
        external = dict(external_context or {})
        functions = {k: v for k, v in external.items() if callable(v)}
        names = {k: v for k, v in external.items() if not callable(v)}
        names.update(context)
        return evaluate_expression(expression, names, functions)

    def execute(self, script, context, external_context=None):
        raise ScriptRefused("script code is not allowed in this engine")

    def call_service(self, context, **kwargs):
        raise ScriptRefused("service tasks are not supported by this engine")


class RestrictedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow script engine that only evaluates allow-listed expressions.
    `calendar_of` gives a department's working calendar, for limits that count working
    time (without it such a limit fails when its timer is set)."""

    def __init__(self, calendar_of: CalendarOf | None = None) -> None:
        super().__init__(environment=_RestrictedEnvironment())
        self.calendar_of = calendar_of

    def validate(self, expression: str) -> None:
        # SpiffWorkflow's DMN engine tells `"billing"` (compare with ==) from `> 5` (a
        # comparison to prefix with the input) by whether this raises SyntaxError.
        ast.parse(expression.strip(), mode="eval")
        check_expression(expression)

    def evaluate(self, task, expression, external_context=None):
        context = {**_task_functions(task, self.calendar_of), **(external_context or {})}
        return self._evaluate(task, expression, context)

    def evaluate_budget(self, task, expression):
        """Evaluate a timer expression for the limit it states, not the time left."""
        return self._evaluate(task, expression,
                              _task_functions(task, self.calendar_of, budget_only=True))

    def _evaluate(self, task, expression, context):
        try:
            return self.environment.evaluate(expression, task.data, context)
        except ExpressionError as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression {expression!r}: {err}", task=task, exception=err
            ) from err

    def execute(self, task, script, external_context=None):
        raise ScriptRefused("script code is not allowed in this engine", task=task)

    def call_service(self, task, **kwargs):
        raise ScriptRefused("service tasks are not supported by this engine", task=task)
