"""What an application built on the engine asks of one of its decision tables, checked
whenever that table is deployed: that each of a list of inputs matches a rule (every
case is decided, none fails at run time), and that the outputs naming a process name one
that is deployed or deployed with the table.

The engine knows no more than that; the application says which table, which inputs and
which outputs (the work-order layer: the routing table, each category of the tree, the
output `flow`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.definitions.bpmn import Problem, safe_root
from engine.definitions.decisions import (
    DecisionSource,
    ParsedDecision,
    evaluate_decision,
    rule_outputs,
)
from engine.errors import DecisionFailed, NoDecision

MOST_LISTED = 10  # cases named in one problem; the rest are counted


@dataclass(frozen=True)
class DecisionExpectation:
    key: str  # the decision table's id
    # (label, inputs): each must match a rule; the label names the case in a problem.
    cases: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    noun: str = "cases"  # what the cases are, in a problem ("categories")
    process_outputs: tuple[str, ...] = ()  # outputs that name a process (by key)


def expectation_problems(expectation: DecisionExpectation, table: DecisionSource,
                         decision: ParsedDecision, processes: set[str]) -> list[Problem]:
    """Every way `decision` falls short of `expectation`; `processes` are the keys of the
    processes deployed or being deployed."""
    root = safe_root(table.file_name, table.dmn)
    lines = {node.get("id"): node.sourceline for node in root.iter() if node.get("id")}
    problems = []
    named: set[str] = set()
    rule_ids = [rule.id for rule in decision.engine.decision_table.rules]
    for number, outputs in rule_outputs(decision):
        for name in expectation.process_outputs:
            value = outputs.get(name)
            if _names_a_process(value, processes):
                continue
            named.add(repr(value))
            rule_id = rule_ids[number - 1]
            problems.append(Problem(
                table.file_name, f"rule {number}: output {name!r} is {value!r}, which is "
                "neither a deployed process nor one in this deployment",
                lines.get(rule_id), rule_id))
    unmatched: list[str] = []
    failed: list[tuple[str, str]] = []
    wrong: dict[tuple[str, str], list[str]] = {}
    for label, inputs in expectation.cases:
        try:
            outputs = evaluate_decision(decision, dict(inputs))
        except NoDecision:
            unmatched.append(label)
            continue
        except DecisionFailed as err:
            failed.append((label, str(err)))
            continue
        for name in expectation.process_outputs:
            value = outputs.get(name)
            if not _names_a_process(value, processes) and repr(value) not in named:
                wrong.setdefault((name, repr(value)), []).append(label)

    def where(message: str) -> Problem:
        return Problem(table.file_name, message, lines.get(table.key), table.key)

    total = len(expectation.cases)
    if unmatched:
        problems.append(where(f"{len(unmatched)} of {total} {expectation.noun} match no "
                              f"rule: {_listed(unmatched)}"))
    if failed:
        problems.append(where(f"{len(failed)} of {total} {expectation.noun} fail: "
                              f"{_listed([label for label, _ in failed])} (first: "
                              f"{failed[0][1]})"))
    for (name, value), labels in wrong.items():
        problems.append(where(f"output {name!r} is {value}, not one process deployed or in "
                              f"this deployment, for {expectation.noun} {_listed(labels)}"))
    return problems


def _names_a_process(value: Any, processes: set[str]) -> bool:
    return isinstance(value, str) and value in processes


def _listed(labels: list[str]) -> str:
    shown = ", ".join(labels[:MOST_LISTED])
    return shown + (f" and {len(labels) - MOST_LISTED} more" if len(labels) > MOST_LISTED
                    else "")
