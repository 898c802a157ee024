"""Reading the reference data files of data/ (categories, departments, settings)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class DataFileInvalid(ValueError):
    """A data file is unreadable or malformed; the message names the file and where."""


def read_json(path: Path, error: type[DataFileInvalid]) -> Any:
    """The file's JSON, or `error` naming the file and what is wrong with it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise error(f"{path}: {err}") from None
