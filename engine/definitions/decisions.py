"""Decision tables (DMN): read, check, and evaluate them with the restricted evaluator.

Cells are expressions as SpiffWorkflow's DMN engine reads them: an input entry is a
value compared with the input (`"billing"`), a comparison continuing it (`> 5`,
`in ("a", "b")`), or a test on `?` (`? not in ("x",)`); `-` or empty matches anything.
"""
from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.definitions.bpmn import (
    DefinitionInvalid,
    Problem,
    int_or_none,
    length_problems,
    safe_root,
)
from engine.errors import DecisionFailed, NoDecision
from engine.runtime.sandbox import ExpressionError, RestrictedScriptEngine, check_expression

# A `?` outside quotes stands for the input value (as in SpiffWorkflow's DMN engine).
_QUESTION_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_INPUT_VALUE = "dmninputexpr"


@dataclass(frozen=True)
class DecisionSource:
    """One DMN file with one decision (its id is the key)."""

    key: str
    file_name: str
    dmn: bytes

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.dmn).hexdigest()


@dataclass
class ParsedDecision:
    key: str
    name: str | None
    file_name: str
    engine: DMNEngine
    hit_policy: str


def decision_source(file_name: str, content: bytes) -> DecisionSource:
    root = safe_root(file_name, content)
    decisions = [n for n in root.iter() if _local(n) == "decision"]
    if len(decisions) != 1:
        raise DefinitionInvalid([Problem(
            file_name, f"expected exactly one decision per file, found {len(decisions)}")])
    key = decisions[0].get("id")
    if key is None:
        raise DefinitionInvalid([Problem(file_name, "the decision needs an id",
                                         decisions[0].sourceline)])
    return DecisionSource(key, file_name, content)


def parse_decision(source: DecisionSource) -> ParsedDecision:
    """Check every rule of the table and parse it; raise DefinitionInvalid if any fails."""
    root = safe_root(source.file_name, source.dmn)
    problems = lint_decision(source.file_name, root)
    problems.extend(length_problems(source.file_name, root, "decision"))
    parser = SpiffBpmnParser(validator=VALIDATOR)
    decision = None
    try:
        parser.add_dmn_xml(root, source.file_name)
        dmn_parser = parser.dmn_parsers[source.key]
        dmn_parser.parse()
        decision = dmn_parser.decision
        if len(decision.decisionTables) != 1:
            problems.append(Problem(source.file_name, "a decision needs exactly one table",
                                    element_id=source.key))
    except ValidationException as err:
        problems.append(Problem(source.file_name, str(err).split("\n")[0],
                                int_or_none(err.line_number), err.id or None))
    except (KeyError, AttributeError, ValueError) as err:
        problems.append(Problem(source.file_name, f"not a decision table: {err}"))
    if problems:
        raise DefinitionInvalid(problems)
    assert decision is not None  # parsed, or a problem was raised above
    table = decision.decisionTables[0]
    return ParsedDecision(source.key, decision.name, source.file_name, DMNEngine(table),
                          table.hit_policy)


def lint_decision(file_name: str, root: etree._Element) -> list[Problem]:
    """Every expression in the table must pass the restricted evaluator's check."""
    problems: list[Problem] = []

    def check(node: etree._Element, expression: str, hint: str = "") -> None:
        try:
            check_expression(expression)
        except ExpressionError as err:
            owner = node
            while (parent := owner.getparent()) is not None and owner.get("id") is None:
                owner = parent
            problems.append(Problem(file_name, str(err) + hint, node.sourceline,
                                    owner.get("id")))

    input_expressions = [_cell_text(n) or "" for n in root.iter() if _local(n) == "inputExpression"]
    for node in root.iter():
        kind, text = _local(node), _cell_text(node)
        if text is None:
            continue
        if kind in ("inputExpression", "inputEntry") and text != text.strip():
            # SpiffWorkflow uses these texts as they are: " - " is not "any value", and an
            # input expression is joined to comparison cells as written.
            problems.append(Problem(file_name, f"remove the spaces around {text!r}",
                                    node.sourceline, node.get("id")))
            continue
        if kind in ("inputExpression", "outputEntry"):
            check(node, text)
        elif kind == "inputEntry" and text not in ("", "-"):
            column = sum(_local(n) == "inputEntry" for n in node.itersiblings(preceding=True))
            if column < len(input_expressions):
                check(node, _as_test(input_expressions[column], text),
                      hint=f" (cell {text!r}: to test the input itself, write it with ?, "
                           'e.g. ? in ("a", "b"))')
    return problems


def evaluate_decision(decision: ParsedDecision, inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs of the first matching rule (per the table's hit policy)."""
    try:
        result = decision.engine.result(_DecisionTask(decision, inputs))
    except Exception as err:  # any cell failing on these inputs
        raise DecisionFailed(f"decision {decision.key!r} failed on {inputs!r}: {err}") from err
    if not result:
        raise NoDecision(f"no rule of decision {decision.key!r} matches {inputs!r}")
    return result


def rule_outputs(decision: ParsedDecision) -> list[tuple[int, dict[str, Any]]]:
    """Each rule's outputs as written (evaluated without inputs; a rule whose outputs
    need the inputs is left out)."""
    found = []
    task = _DecisionTask(decision, {})
    for number, rule in enumerate(decision.engine.decision_table.rules, start=1):
        try:
            found.append((number, dict(rule.output_as_dict(task))))
        except Exception:  # an output computed from an input: nothing to check here
            continue
    return found


def output_cells(decision: ParsedDecision) -> list[tuple[int, str, str, str]]:
    """Every output cell as written: (rule number, cell id, output name, text)."""
    return [(number, entry.id, entry.output.name or entry.output.label or "", entry.text or "")
            for number, rule in enumerate(decision.engine.decision_table.rules, start=1)
            for entry in rule.outputEntries]


def evaluate_cell(decision: ParsedDecision, text: str) -> Any:
    """One output cell's value without any inputs (raises if it needs them)."""
    task = _DecisionTask(decision, {})
    return task.workflow.script_engine.evaluate(task, text)


class _DecisionTask:
    """What SpiffWorkflow's DMN engine (and its error messages) read from a task, for
    evaluating a table outside any workflow: the inputs as data, the restricted script
    engine, and names for the error trace."""

    def __init__(self, decision: ParsedDecision, inputs: dict[str, Any]) -> None:
        self.data = dict(inputs)
        self.task_spec = SimpleNamespace(lane=None, bpmn_id=decision.key,
                                         bpmn_name=decision.name or decision.key)
        self.workflow = SimpleNamespace(
            script_engine=RestrictedScriptEngine(), data={},
            spec=SimpleNamespace(name=decision.key, file=decision.file_name))
        self.workflow.top_workflow = self.workflow


def _as_test(input_expression: str, cell: str) -> str:
    """The expression SpiffWorkflow's DMN engine builds from an input entry."""
    if _QUESTION_MARK.search(cell):
        return _QUESTION_MARK.sub(_INPUT_VALUE, cell)
    try:
        ast.parse(cell, mode="eval")
        return f"({input_expression}) == ({cell})"  # a value to compare with
    except SyntaxError:
        # A comparison continuing the input; the engine joins them without a space,
        # so `in ("a",)` after `x` reads `xin ("a",)`: write `? in ("a",)` instead.
        return input_expression + cell


def _cell_text(node: etree._Element) -> str | None:
    """A cell's text exactly as SpiffWorkflow reads it (not stripped)."""
    for child in node:
        if _local(child) == "text":
            return child.text or ""
    return None


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""
