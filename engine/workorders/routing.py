"""Where a complaint goes: the routing table (processes/routing.dmn) maps its category,
and what else intake knows of it, to a flow and the department(s) that work it.

The table may read:
* `category`, the whole path ("network/no_signal/td/..."); a rule on a subtree writes
  `under(?, "network/no_signal")`;
* `business`, `phenomenon`, `cause`, the recording rule's first three levels, and
  `depth`, the number of levels;
* the context: `city` (the customer's home city: from intake or the number-prefix table
  of data/cities.json), `channel`, `customer_tier`, `urgency` and `upgraded`.
A table that reads the context must still route every category when it is unknown
(None): that is what the deploy-time check tries.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.definitions.decisions import DecisionFailed, NoDecision
from engine.reference.categories import MIN_DEPTH
from engine.runtime.catalog import Catalog
from engine.workorders.errors import NoRoute

ROUTING_TABLE = "routing"
RECORDING_LEVELS = ("business", "phenomenon", "cause")
CONTEXT_INPUTS = ("city", "channel", "customer_tier", "urgency", "upgraded")


def routing_inputs(category: str, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the routing table reads of a complaint of `category` (a path of at least
    the three recording levels); NoRoute if it is not such a path."""
    parts = [part.strip() for part in category.split("/")]
    if len(parts) < MIN_DEPTH or not all(parts):
        raise NoRoute(category, "a category is business/phenomenon/cause[/...]")
    inputs: dict[str, Any] = dict(zip(RECORDING_LEVELS, parts, strict=False))
    inputs.update(category="/".join(parts), depth=len(parts))
    context = context or {}
    inputs.update({name: context.get(name) for name in CONTEXT_INPUTS})
    return inputs


def route(catalog: Catalog, category: str, table: str = ROUTING_TABLE,
          context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The flow and department(s) for a complaint of `category`, from the newest version
    of the routing table."""
    inputs = routing_inputs(category, context)
    try:
        found = catalog.decide(table, inputs)
    except NoDecision:
        raise NoRoute(category, f"no rule of the {table!r} table matches it") from None
    except DecisionFailed as err:
        raise NoRoute(category, str(err)) from None
    if not isinstance(found.get("flow"), str) or not found["flow"]:
        raise NoRoute(category, f"the {table!r} table must give one flow key per rule "
                                "(an output 'flow'; hit policy UNIQUE or FIRST)")
    return found
