"""Code lists (data/liable_causes.json, ...): designer-maintained lists of codes a form
field must take one of. A form names its list on the field (`"x-code-list":
"liable_causes"`); the engine checks the value against the list (runtime/form_data.py)."""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.reference.data_files import DataFileInvalid, read_json

CODE = re.compile(r"^[A-Za-z0-9_]{1,50}$")


class CodeListInvalid(DataFileInvalid):
    """A code list file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Code:
    code: str
    name: str


@dataclass(frozen=True)
class CodeList:
    name: str  # how forms name it: the file's stem (liable_causes)
    codes: tuple[Code, ...]

    def __contains__(self, code: object) -> bool:
        return any(entry.code == code for entry in self.codes)

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def name_of(self, code: str) -> str | None:
        return next((entry.name for entry in self.codes if entry.code == code), None)

    @classmethod
    def load(cls, path: Path, key: str) -> CodeList:
        """The list under `key` in the file at `path`, named after the file."""
        return cls.from_document(path.stem, read_json(path, CodeListInvalid), key, str(path))

    @classmethod
    def from_document(cls, name: str, document: Any, key: str, source: str) -> CodeList:
        entries = document.get(key) if isinstance(document, dict) else None
        if not isinstance(entries, list) or not entries:
            raise CodeListInvalid(f"{source}: expected {{\"{key}\": [...]}} with at least "
                                  "one entry")
        codes: list[Code] = []
        for index, entry in enumerate(entries):
            where = f"{source}: {key}[{index}]"
            if not isinstance(entry, dict):
                raise CodeListInvalid(f"{where}: expected {{\"code\": ..., \"name\": ...}}")
            code, label = entry.get("code"), entry.get("name")
            if not isinstance(code, str) or not CODE.fullmatch(code):
                raise CodeListInvalid(f"{where}.code: {code!r} must be 1-50 letters, digits "
                                      "or '_'")
            if not isinstance(label, str) or not label.strip() or len(label) > 200:
                raise CodeListInvalid(f"{where}.name: needs a name of 1-200 characters")
            if any(seen.code == code for seen in codes):
                raise CodeListInvalid(f"{where}.code: {code!r} appears twice")
            codes.append(Code(code, label))
        return cls(name, tuple(codes))


CodeLists = Mapping[str, CodeList]

# The code lists of data/: file name (the list's name) -> the key holding its entries.
LIST_FILES = {"liable_causes": "causes"}


def load_code_lists(data_dir: Path) -> dict[str, CodeList]:
    """Every code list of `data_dir`, each checked (CodeListInvalid names the file)."""
    return {name: CodeList.load(data_dir / f"{name}.json", key)
            for name, key in LIST_FILES.items()}
