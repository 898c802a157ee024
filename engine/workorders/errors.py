"""What the work-order layer refuses, as the engine's kinds of error (the API maps each
kind to its HTTP status)."""
from __future__ import annotations

from engine.errors import Conflict, Forbidden, NotFound, Unprocessable


class NoRoute(Unprocessable):
    """The routing table has no rule for this category: a clear error, never a default."""

    def __init__(self, category: str, reason: str) -> None:
        self.category = category
        super().__init__(f"category {category!r} cannot be routed: {reason}")


class WorkOrderNotFound(NotFound):
    def __init__(self, number: str) -> None:
        super().__init__(f"no work order {number!r}")


class ReferenceReused(Conflict):
    def __init__(self, what: str, number: str) -> None:
        super().__init__(f"{what} was already used for a different work order ({number})")


class NoStageFor(Conflict):
    """The order has no open stage of the caller's where this can be done."""

    def __init__(self, number: str, department: str, what: str) -> None:
        super().__init__(f"work order {number} has no open stage of {department!r} "
                         f"where it can be {what}")


class NothingToUrge(Conflict):
    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"work order {number} cannot be urged: {reason}")


class ReservedForWorkOrders(Forbidden):
    """The generic engine API reached for a work order, its flow or its number."""
