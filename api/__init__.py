"""The Flask application: configuration, persistence wiring and the CLI.

The HTTP resources come in their own blueprints; the engine does the work.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import sessionmaker

from engine import ProcessEngine, SystemClock
from engine.database import configure_sqlite, create_schema

from .cli import register_commands
from .extensions import db

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the defaults and the environment (tests use it)."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL") or _default_database_url(app),
        PROCESSES_DIR=os.environ.get("PROCESSES_DIR", str(PROJECT_ROOT / "processes")),
        FORMS_DIR=os.environ.get("FORMS_DIR", str(PROJECT_ROOT / "forms")),
        DEPLOY_ON_START=True,
        CLOCK=None,
    )
    app.config.update(config or {})
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        create_schema(db.engine)
        engine = ProcessEngine(
            sessionmaker(db.engine, expire_on_commit=False),
            clock=app.config["CLOCK"] or SystemClock(),
        )
        if app.config["DEPLOY_ON_START"]:
            engine.deploy_directory(Path(app.config["PROCESSES_DIR"]),
                                    Path(app.config["FORMS_DIR"]))
    app.extensions["process_engine"] = engine
    register_commands(app)
    return app


def process_engine(app: Flask) -> ProcessEngine:
    return app.extensions["process_engine"]


def _default_database_url(app: Flask) -> str:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'workorders.sqlite3'}"
