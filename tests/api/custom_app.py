"""An app on its own copy of data/ and processes/, changed by a test (a generated
category tree, another routing table, other settings)."""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api import create_app, prepare_database
from tests.api.conftest import Client, _create_tokens, dispose, test_data_dir
from tests.conftest import ROOT


def copied_folders(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of the tests' data/ and of processes/ to change."""
    data, processes = tmp_path / "data", tmp_path / "processes"
    shutil.copytree(test_data_dir(), data)
    shutil.copytree(ROOT / "processes", processes)
    return data, processes


def change_json(path: Path, change: Callable[[Any], None]) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


class CustomApp:
    """The app built on `data` and `processes` (migrated and deployed) and a client with
    a token per principal; `close()` disposes of it."""

    def __init__(self, database_url: str, clock, data: Path, processes: Path) -> None:
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "CLOCK": clock,
                               "TESTING": True, "DATA_DIR": str(data),
                               "PROCESSES_DIR": str(processes)})
        prepare_database(self.app, upgrade=True)
        self.client = Client(self.app.test_client(), _create_tokens(self.app, clock))

    def close(self) -> None:
        dispose(self.app)
