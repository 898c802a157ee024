"""A fingerprint of every object reachable from a parsed spec, to prove no run changed it.

The walk follows attributes, list/tuple/set/dict items and the callbacks an Event holds,
so any change a run makes to a shared spec object (an output added, a flag set, a handler
connected, a form schema filled in) changes the fingerprint. Objects already seen are
written as a back reference, so cycles (task spec <-> process spec) end.
"""
from __future__ import annotations

import hashlib
from typing import Any

_PLAIN = (str, bytes, int, float, bool, complex, type(None))


def fingerprint(root: Any) -> str:
    """A SHA-256 of the structure and values reachable from `root`."""
    digest = hashlib.sha256()
    seen: dict[int, int] = {}
    keep_alive: list[Any] = []  # ids stay unique while the walk holds the objects
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        digest.update(_describe(item, seen, keep_alive, stack).encode("utf-8", "replace"))
    return digest.hexdigest()


def _describe(item: Any, seen: dict[int, int], keep_alive: list, stack: list) -> str:
    """One line for `item`, pushing what it contains onto `stack` in a fixed order."""
    if isinstance(item, _PLAIN):
        return f"{type(item).__name__}:{item!r}\n"
    if id(item) in seen:
        return f"ref:{seen[id(item)]}\n"
    seen[id(item)] = len(seen)
    keep_alive.append(item)
    kind = type(item).__qualname__
    if isinstance(item, dict):
        keys = sorted(item, key=repr)
        stack.extend(reversed([part for key in keys for part in (key, item[key])]))
        return f"dict:{len(keys)}\n"
    if isinstance(item, list | tuple):
        stack.extend(reversed(item))
        return f"{kind}:{len(item)}\n"
    if isinstance(item, set | frozenset):
        stack.extend(sorted(item, key=repr))
        return f"{kind}:{len(item)}\n"
    if callable(item) and not hasattr(item, "__dict__"):
        return f"callable:{getattr(item, '__qualname__', kind)}\n"
    if hasattr(item, "__func__"):  # a bound method: its function and its object
        stack.extend([item.__self__, item.__func__.__qualname__])
        return "method\n"
    state = getattr(item, "__dict__", None)
    if state is None:
        slots = [name for cls in type(item).__mro__ for name in getattr(cls, "__slots__", ())]
        state = {name: getattr(item, name) for name in slots if hasattr(item, name)}
    if callable(item) and hasattr(item, "__code__"):  # a plain function: its name is enough
        return f"function:{item.__qualname__}\n"
    stack.append(dict(state))
    return f"object:{kind}\n"
