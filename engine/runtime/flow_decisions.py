"""Decision tables a diagram consults mid-flow: a gateway condition
`decide("follow_up", "needed")` evaluates the newest deployed version of the table
`follow_up` on the instance's data and gives its output `needed` (a designer changes the
rule by deploying the table again).

Two things make a table usable on any instance: an input name the data lacks is None
(a variable that another part of the system sets only on some instances), and
`sample_draw`, a number from 0 to 99 fixed per instance (from its start), lets a rule
pick a sampled share (`? < 10`: about one instance in ten).
"""
from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from engine.definitions.decisions import ParsedDecision, evaluate_decision
from engine.definitions.versions import SpecCache, find_decision
from engine.errors import DecisionNotFound
from engine.runtime.sandbox import DECISIONS
from engine.store.models import ProcessInstance

SAMPLE_DRAW = "sample_draw"


class FlowDecisions:
    def __init__(self, specs: SpecCache) -> None:
        self.specs = specs

    @contextmanager
    def available(self, session: Session, instance: ProcessInstance) -> Iterator[None]:
        """decide() works inside this block, for `instance`, reading `session`."""
        draw = sample_draw(instance)

        def evaluate(key: str, data: dict[str, Any]) -> dict[str, Any]:
            try:
                decision = self.specs.decision(find_decision(session, key, light=True))
            except DecisionNotFound:
                raise ValueError(f"decision table {key!r} is not deployed") from None
            inputs: dict[str, Any] = dict.fromkeys(input_names(decision))
            inputs.update(data)
            inputs[SAMPLE_DRAW] = draw
            return evaluate_decision(decision, inputs)

        token = DECISIONS.set(evaluate)
        try:
            yield
        finally:
            DECISIONS.reset(token)


def sample_draw(instance: ProcessInstance) -> int:
    """0-99, the same for an instance every time: from its process and start time."""
    started = instance.started_at
    if started.tzinfo is not None:  # as read back from any database: UTC, naive
        started = started.astimezone(UTC).replace(tzinfo=None)
    seed = f"{instance.definition_key}|{started.isoformat()}"
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % 100


def input_names(decision: ParsedDecision) -> set[str]:
    """The variables the table's input expressions read."""
    names: set[str] = set()
    for column in decision.engine.decision_table.inputs:
        text = getattr(column, "expression", None) or ""
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            continue
        names.update(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    return names
