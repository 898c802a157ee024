"""The Flask application: configuration, persistence wiring, HTTP API and CLI."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from sqlalchemy.orm import sessionmaker

from engine import ProcessEngine, SystemClock
from engine.database import configure_sqlite, create_schema

from . import auth
from .cli import register_commands
from .extensions import ProblemApi, db
from .guards import check_request
from .problems import register_error_handlers
from .resources import register_blueprints

PROJECT_ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/v1/"
PUBLIC_PATHS = {f"{API_PREFIX}openapi.json"}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the defaults and the environment (tests use it)."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL") or _default_database_url(app),
        PROCESSES_DIR=os.environ.get("PROCESSES_DIR", str(PROJECT_ROOT / "processes")),
        FORMS_DIR=os.environ.get("FORMS_DIR", str(PROJECT_ROOT / "forms")),
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
        DEPLOY_ON_START=True,
        CLOCK=None,
        API_TITLE="Complaint work orders",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.config.update(config or {})

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        create_schema(db.engine)
        sessions = sessionmaker(db.engine, expire_on_commit=False)
        engine = ProcessEngine(sessions, clock=app.config["CLOCK"] or SystemClock())
        if app.config["DEPLOY_ON_START"]:
            engine.deploy_directory(Path(app.config["PROCESSES_DIR"]),
                                    Path(app.config["FORMS_DIR"]))
    app.extensions["process_engine"] = engine

    api = ProblemApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    register_blueprints(api)
    register_error_handlers(app)

    @app.before_request
    def guard_and_authenticate():
        check_request(request)
        if request.path.startswith(API_PREFIX) and request.path not in PUBLIC_PATHS:
            auth.authenticate(engine.reading)

    register_commands(app)
    return app


def process_engine(app: Flask) -> ProcessEngine:
    return app.extensions["process_engine"]


def _default_database_url(app: Flask) -> str:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'workorders.sqlite3'}"
