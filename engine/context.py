"""What the caller of a unit of work is doing it for, carried without passing it through
every call: the id of the request that caused the change (the HTTP layer sets it; a
worker or a script leaves it unset). The engine writes it on the timeline rows it adds."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def request_id_bound(value: str | None) -> Iterator[None]:
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


def bind_request_id(value: str | None) -> None:
    """Set for the rest of this context (a request's thread); see request_id_bound."""
    _request_id.set(value)
