"""Where a complaint goes: the routing table (processes/routing.dmn) maps its category
to a flow and the department(s) that work it."""
from __future__ import annotations

from typing import Any

from engine.definitions.decisions import DecisionFailed, NoDecision
from engine.runtime.catalog import Catalog
from engine.workorders.errors import NoRoute

ROUTING_TABLE = "routing"


def route(catalog: Catalog, category: str, table: str = ROUTING_TABLE) -> dict[str, Any]:
    """The flow and department(s) for a complaint of `category`
    ("business/phenomenon/cause"), from the newest version of the routing table."""
    parts = [part.strip() for part in category.split("/")]
    if len(parts) != 3 or not all(parts):
        raise NoRoute(category, "a category is business/phenomenon/cause")
    inputs = dict(zip(("business", "phenomenon", "cause"), parts, strict=True))
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
