"""The reasons a stage's clock may be paused for (data/pause_reasons.json)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.reference.data_files import DataFileInvalid, read_json

REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


class PauseReasonsInvalid(DataFileInvalid):
    """The pause reasons file is malformed; the message says where."""


@dataclass(frozen=True)
class PauseReason:
    code: str
    name: str


class PauseReasons:
    def __init__(self, reasons: list[PauseReason]) -> None:
        self._by_code = {reason.code: reason for reason in reasons}

    @classmethod
    def load(cls, path: Path) -> PauseReasons:
        return cls.from_document(read_json(path, PauseReasonsInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "pause reasons") -> PauseReasons:
        entries = document.get("reasons") if isinstance(document, dict) else None
        if not isinstance(entries, list) or not entries:
            raise PauseReasonsInvalid(f"{source}: expected {{\"reasons\": [{{\"code\": ..., "
                                      "\"name\": ...}}, ...]}} with at least one reason")
        reasons = []
        for index, entry in enumerate(entries):
            where = f"{source}: reasons[{index}]"
            if not isinstance(entry, dict) or not REASON_CODE.fullmatch(str(entry.get("code"))):
                raise PauseReasonsInvalid(f"{where}.code: 1-50 of a-z, 0-9 and '_', "
                                          "starting with a letter")
            if not isinstance(entry.get("name"), str) or not entry["name"].strip():
                raise PauseReasonsInvalid(f"{where}.name: the reason as people read it")
            reasons.append(PauseReason(entry["code"], entry["name"]))
        if len({reason.code for reason in reasons}) != len(reasons):
            raise PauseReasonsInvalid(f"{source}: a reason code appears twice")
        return cls(reasons)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def codes(self) -> list[str]:
        return list(self._by_code)

    def get(self, code: str) -> PauseReason | None:
        return self._by_code.get(code)
