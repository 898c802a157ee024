"""Errors the engine raises for things a caller did; each says what and where.

The HTTP layer maps them to status codes: NotFound -> 404, Conflict -> 409,
invalid input -> 422. Nothing in this list ever leaves a partial change behind.
"""
from __future__ import annotations


class EngineError(Exception):
    """Base class for errors caused by the caller's request."""


class NotFound(EngineError):
    pass


class Conflict(EngineError):
    """The request clashes with the current state (already done, taken, changed)."""


class Forbidden(EngineError):
    """The caller may see this, but not do this to it."""


class DefinitionNotFound(NotFound):
    def __init__(self, key: str, version: int | None = None) -> None:
        what = f"{key!r} version {version}" if version else repr(key)
        super().__init__(f"no deployed process definition {what}")


class DecisionNotFound(NotFound):
    def __init__(self, key: str, version: int | None = None) -> None:
        what = f"{key!r} version {version}" if version else repr(key)
        super().__init__(f"no deployed decision table {what}")


class Unprocessable(EngineError):
    """Well-formed input the business rules cannot act on."""


class NoDecision(Unprocessable):
    """No rule of a decision table matched the inputs."""


class DecisionFailed(Unprocessable):
    """A cell of a decision table could not be evaluated on these inputs."""


class InstanceNotFound(NotFound):
    def __init__(self, instance_id: str) -> None:
        super().__init__(f"no process instance {instance_id!r}")


class TaskNotFound(NotFound):
    def __init__(self, task_id: str) -> None:
        super().__init__(f"no task {task_id!r}")


class TaskNotOpen(Conflict):
    def __init__(self, task_id: str, state: str) -> None:
        self.state = state
        super().__init__(f"task {task_id!r} is already {state}")


class TaskClaimedByOther(Conflict):
    def __init__(self, task_id: str, assignee: str) -> None:
        self.assignee = assignee
        super().__init__(f"task {task_id!r} is claimed by {assignee!r}")


class BusinessKeyInUse(Conflict):
    def __init__(self, key: str, business_key: str, instance_id: str) -> None:
        self.instance_id = instance_id
        super().__init__(
            f"process {key!r} already has an instance with business key {business_key!r}"
        )


class IdempotencyKeyReused(Conflict):
    def __init__(self, idempotency_key: str, instance_id: str) -> None:
        self.instance_id = instance_id
        super().__init__(
            f"Idempotency-Key {idempotency_key!r} was already used for a different request"
        )


class NotWaitingForMessage(Conflict):
    def __init__(self, instance_id: str, name: str) -> None:
        super().__init__(f"process instance {instance_id!r} is not waiting for message {name!r}")


class MessageNotCorrelated(NotFound):
    def __init__(self, name: str, business_key: str) -> None:
        super().__init__(
            f"no running instance with business key {business_key!r} waits for message {name!r}"
        )


class AmbiguousCorrelation(Conflict):
    def __init__(self, name: str, business_key: str, count: int) -> None:
        super().__init__(
            f"{count} running instances with business key {business_key!r} wait for message "
            f"{name!r}; name the process key to choose one"
        )


class InstanceChanged(Conflict):
    def __init__(self, instance_id: str) -> None:
        super().__init__(f"process instance {instance_id!r} was changed by someone else; retry")


class Busy(Conflict):
    """The database gave up waiting for a lock, or broke a deadlock; nothing was changed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the order is busy, try again ({detail})")


class InstanceFailed(EngineError):
    """The diagram itself failed at run time (e.g. an expression error); nothing was saved."""
