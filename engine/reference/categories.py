"""The complaint category tree (data/categories.json): business > phenomenon > cause,
and below a cause as many levels as the tree needs.

A category is a path of ids from a business to a leaf, written
"business/phenomenon/cause[/...]". The first three levels are the recording rule
(业务+现象+原因) and always there; a node below lists its own under "children". Each
leaf names the key information its template requires; those fields are JSON Schemas
in the file's `fields` catalogue, so the checks a designer writes there are the checks
intake runs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.orm import InstrumentedAttribute

from engine.definitions.forms import schema_problem
from engine.reference.data_files import DataFileInvalid, read_json

CATEGORY_ID = re.compile(r"^[a-z0-9_]{1,60}$")
# The list holding each level's nodes: named for the recording rule's three levels
# (or "children" there too), "children" below.
LEVEL_NAMES = ("businesses", "phenomena", "causes")
CHILDREN = "children"
MIN_DEPTH = len(LEVEL_NAMES)
MAX_PATH_LENGTH = 200  # a category is stored and submitted in at most this many characters


class CategoriesInvalid(DataFileInvalid):
    """The category file is malformed; the message says where."""


@dataclass(frozen=True)
class Category:
    path: str  # business/phenomenon/cause[/...]
    names: tuple[str, ...]  # one per level
    key_fields: tuple[str, ...]

    @property
    def depth(self) -> int:
        return len(self.names)


def is_under(path: str, prefix: str) -> bool:
    """Whether category `path` is `prefix` or lies under it ("value_added" holds
    "value_added/mobile_newspaper/no_delivery")."""
    return path == prefix or path.startswith(prefix + "/")


def under(column: InstrumentedAttribute[str], prefix: str) -> ColumnElement[bool]:
    """`is_under` as a condition on a category column."""
    return or_(column == prefix, column.startswith(prefix + "/", autoescape=True))


class Categories:
    def __init__(self, document: dict[str, Any], leaves: dict[str, Category]) -> None:
        self.document = document
        self._leaves = leaves
        self.fields: dict[str, dict[str, Any]] = document.get("fields", {})

    @classmethod
    def load(cls, path: Path) -> Categories:
        return cls.from_document(read_json(path, CategoriesInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "categories") -> Categories:
        if not isinstance(document, dict) or not isinstance(document.get("businesses"), list):
            raise CategoriesInvalid(f"{source}: expected {{\"fields\": {{...}}, "
                                    "\"businesses\": [...]}}")
        fields = document.get("fields") or {}
        for name, schema in fields.items():
            if problem := schema_problem(schema):
                raise CategoriesInvalid(f"{source}: field {name!r} is {problem}")
        leaves: dict[str, Category] = {}
        _walk(document["businesses"], 0, (), (), fields, leaves, source)
        return cls(document, leaves)

    def __len__(self) -> int:
        return len(self._leaves)

    def __iter__(self):
        return iter(self._leaves.values())

    def get(self, path: str) -> Category | None:
        return self._leaves.get(path)

    def key_field_schema(self, category: Category) -> dict[str, Any]:
        """JSON Schema of the `key_fields` object an order of `category` must carry."""
        return {
            "type": "object",
            "additionalProperties": False,
            "required": list(category.key_fields),
            "properties": {name: self.fields[name] for name in category.key_fields},
        }

    def tree(self) -> list[dict[str, Any]]:
        return self.document["businesses"]


def _children(node: dict, depth: int, where: str, source: str) -> Any:
    """The node's list of children (None for a leaf): under its level's name or
    "children"; the recording rule's levels must have them."""
    named = LEVEL_NAMES[depth + 1] if depth + 1 < MIN_DEPTH else None
    given = [key for key in (named, CHILDREN) if key is not None and key in node]
    if len(given) > 1:
        raise CategoriesInvalid(f"{source}: {where}: list its children under {named!r} "
                                f"or {CHILDREN!r}, not both")
    if given:
        return node[given[0]]
    if named is not None:  # a business or a phenomenon cannot be a leaf
        raise CategoriesInvalid(f"{source}: {where} needs a non-empty list of {named}")
    return None


def _walk(nodes: Any, depth: int, ids: tuple, names: tuple, fields: dict,
          leaves: dict[str, Category], source: str) -> None:
    level = LEVEL_NAMES[depth] if depth < MIN_DEPTH else CHILDREN
    if not isinstance(nodes, list) or not nodes:
        raise CategoriesInvalid(f"{source}: {'/'.join(ids) or 'the tree'} needs a non-empty "
                                f"list of {level}")
    seen = set()
    for node in nodes:
        node_id = node.get("id") if isinstance(node, dict) else None
        where = "/".join((*ids, str(node_id)))
        if not isinstance(node_id, str) or not CATEGORY_ID.fullmatch(node_id):
            raise CategoriesInvalid(f"{source}: {where}: an id is 1-60 of a-z, 0-9, '_'")
        if node_id in seen:
            raise CategoriesInvalid(f"{source}: {where} appears twice")
        if len(where) > MAX_PATH_LENGTH:
            raise CategoriesInvalid(f"{source}: {where[:80]}...: a category path is at most "
                                    f"{MAX_PATH_LENGTH} characters (use shorter ids)")
        seen.add(node_id)
        name = str(node.get("name") or node_id)
        children = _children(node, depth, where, source)
        if children is not None:
            _walk(children, depth + 1, (*ids, node_id), (*names, name), fields,
                  leaves, source)
            continue
        key_fields = node.get("key_fields") or []
        unknown = [f for f in key_fields if f not in fields]
        if unknown:
            raise CategoriesInvalid(f"{source}: {where} names undefined key fields {unknown}")
        leaves[where] = Category(where, (*names, name), tuple(key_fields))
