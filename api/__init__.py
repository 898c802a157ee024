"""The Flask application: configuration, persistence wiring, HTTP API and CLI.

`create_app()` only wires things up. `prepare_database()` brings the schema to the
current migration (or refuses to go on) and deploys processes/; the entry points
(wsgi.py, `flask serve`, `flask worker`) call it, `flask db ...` does not.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_migrate import Migrate
from sqlalchemy.orm import sessionmaker

from engine import ProcessEngine, SystemClock
from engine.definitions.expectations import DecisionExpectation
from engine.people.accounts import Accounts
from engine.people.attachments import Attachments, store_for
from engine.people.case_log import CaseLog
from engine.people.profiles import Profiles, phone_pattern
from engine.people.remedies import Remedies
from engine.people.settings import PeopleSettings
from engine.reference.calendars import Calendars
from engine.reference.categories import Categories
from engine.reference.cities import Cities, CitiesInvalid
from engine.reference.code_lists import load_code_lists
from engine.reference.directory import Directory
from engine.reference.pause_reasons import PauseReasons
from engine.reference.settings import Settings, SettingsInvalid
from engine.reports import Reports
from engine.store.database import configure_sqlite, engine_options, normalize_database_url
from engine.store.shared_reads import stop_sharing_reads
from engine.workorders.routing import ROUTING_TABLE, routing_inputs
from engine.workorders.service import WorkOrders
from engine.workorders.supervisors import supervisor_default

from . import auth, console, integrations_setup, metrics, request_log
from .cli import register_commands
from .extensions import ProblemApi, db
from .guards import StrictJSONProvider, check_request_line
from .log_masking import mask_phone_numbers_in_logs
from .problems import register_error_handlers
from .resources import register_blueprints
from .schema_version import SchemaOutOfDate, ensure_schema_current

PROJECT_ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/v1/"
# The OpenAPI document, and a person's login (POST /sessions) which gives a token.
PUBLIC_PATHS = {f"{API_PREFIX}openapi.json", f"{API_PREFIX}sessions"}

__all__ = ["SchemaOutOfDate", "create_app", "prepare_database", "process_engine",
           "work_orders"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides the defaults and the environment (tests use it)."""
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    database_url = os.environ.get("DATABASE_URL")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=normalize_database_url(database_url or "")
        or _default_database_url(app),
        # The embedded default creates and upgrades itself; a configured database is
        # upgraded by the operator (`flask db upgrade`) unless AUTO_MIGRATE=1.
        AUTO_MIGRATE=_flag(os.environ.get("AUTO_MIGRATE"), default=database_url is None),
        PROCESSES_DIR=os.environ.get("PROCESSES_DIR", str(PROJECT_ROOT / "processes")),
        FORMS_DIR=os.environ.get("FORMS_DIR", str(PROJECT_ROOT / "forms")),
        DATA_DIR=os.environ.get("DATA_DIR", str(PROJECT_ROOT / "data")),
        MAX_CONTENT_LENGTH=int(os.environ.get("MAX_CONTENT_LENGTH", 1024 * 1024)),
        # Webhook SSRF allowances, SMTP and the SMS gateway (api/integrations_setup.py).
        **integrations_setup.environment_config(),
        ATTACHMENTS_DIR=os.environ.get("ATTACHMENTS_DIR"),  # default: instance/attachments
        ATTACHMENTS_S3_BUCKET=os.environ.get("ATTACHMENTS_S3_BUCKET"),  # instead, if set
        ATTACHMENTS_S3_ENDPOINT_URL=os.environ.get("ATTACHMENTS_S3_ENDPOINT_URL"),
        ATTACHMENTS_S3_PREFIX=os.environ.get("ATTACHMENTS_S3_PREFIX", ""),
        CLOCK=None,
        API_TITLE="Complaint work orders",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.config.update(config or {})
    app.json = StrictJSONProvider(app)  # no NaN or Infinity from request.get_json()
    app.json.ensure_ascii = False  # category and department names are Chinese: UTF-8
    app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    mask_phone_numbers_in_logs()

    db.init_app(app)
    Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    data_dir = Path(app.config["DATA_DIR"])
    categories = Categories.load(data_dir / "categories.json")
    settings = Settings.load(data_dir / "settings.json")
    calendars = Calendars.load(data_dir / "calendars.json")
    integration_settings = integrations_setup.load_settings(app.config, data_dir)
    code_lists = load_code_lists(data_dir)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        directory = Directory.load(data_dir / "departments.json")
        engine = ProcessEngine(sessionmaker(db.engine, expire_on_commit=False),
                               clock=app.config["CLOCK"] or SystemClock(),
                               directory=directory,
                               start_defaults=supervisor_default(directory),
                               definition_limits=settings.definitions,
                               decision_expectations=(_routes_every_category(categories),),
                               calendars=calendars,
                               timer_retry=integration_settings.timer_retry,
                               code_lists=code_lists)
    app.extensions["process_engine"] = engine
    if problems := settings.problems(categories, engine.directory):
        raise SettingsInvalid(f"{data_dir / 'settings.json'}: " + "; ".join(problems))
    cities = Cities.load(data_dir / "cities.json")
    if unknown := sorted({d.city for d in engine.directory or () if d.city} - {
            c.id for c in cities}):
        raise CitiesInvalid(f"{data_dir / 'departments.json'}: cities {', '.join(unknown)} "
                            f"are not in {data_dir / 'cities.json'}")
    app.extensions["work_orders"] = WorkOrders(
        engine, categories, settings, cities=cities,
        pause_reasons=PauseReasons.load(data_dir / "pause_reasons.json"))
    app.extensions["reports"] = Reports(engine, categories, settings)
    people = PeopleSettings.load(data_dir / "people.json")
    accounts = Accounts(engine, people)
    app.extensions["accounts"] = accounts
    app.extensions["integrations"] = integrations_setup.build(
        engine, integration_settings, app.config, data_dir, directory,
        app.extensions["reports"])
    app.extensions["case_log"] = CaseLog(engine, people.contact_every)
    app.extensions["attachments"] = Attachments(
        engine, store_for(app.config, app.instance_path), people.attachment_max_bytes,
        people.attachment_types)
    app.extensions["remedies"] = Remedies(engine, people.demands,
                                          people.refund_audit_threshold,
                                          people.audit_before_stages)
    app.extensions["profiles"] = Profiles(
        engine, people.profile_tiers, people.profile_markers,
        phone_pattern(_json_or_none(Path(app.config["FORMS_DIR"]) / "submit.json")))

    api = ProblemApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    register_blueprints(api)
    app.register_blueprint(console.bp)  # the web console, /console
    register_error_handlers(app)
    request_log.install(app)
    metrics.install(app)
    request_log.configure_logging(os.environ.get("LOG_FORMAT"))

    @app.before_request
    def share_reads():
        # The reads of one request (the token, the pre-checks, the answer) share one
        # session and transaction; a write in between ends it (store/shared_reads.py).
        engine.uow.share_reads()

    @app.teardown_request
    def stop_sharing(_error=None):
        stop_sharing_reads()

    @app.before_request
    def guard_and_authenticate():
        # Nothing here reads the body: a caller without a valid token is refused before
        # it is read or parsed. auth.requires checks the role, then the body.
        check_request_line(request)
        if request.path.startswith(API_PREFIX) and request.path not in PUBLIC_PATHS:
            auth.authenticate(engine.reading, accounts, engine.clock.now())

    register_commands(app)
    return app


def prepare_database(app: Flask, *, deploy: bool = True, upgrade: bool | None = None) -> None:
    """Make sure the schema is current (upgrading it if allowed) and deploy processes/.

    Raises SchemaOutOfDate, naming the command to run, when the schema is behind and
    may not be upgraded here.
    """
    with app.app_context():
        allowed = app.config["AUTO_MIGRATE"] if upgrade is None else upgrade
        ensure_schema_current(db.engine, upgrade=allowed)
        if deploy:
            process_engine(app).deployer.deploy_directory(Path(app.config["PROCESSES_DIR"]),
                                                 Path(app.config["FORMS_DIR"]))


def process_engine(app: Flask) -> ProcessEngine:
    return app.extensions["process_engine"]


def work_orders(app: Flask) -> WorkOrders:
    return app.extensions["work_orders"]


def _routes_every_category(categories: Categories) -> DecisionExpectation:
    """A routing table is deployed only if it sends every category of the tree (at any
    depth, with no context known) to a flow that is deployed (or deployed with it)."""
    return DecisionExpectation(
        ROUTING_TABLE, noun="categories", process_outputs=("flow",),
        cases=tuple((category.path, routing_inputs(category.path))
                    for category in categories))


def _default_database_url(app: Flask) -> str:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(app.instance_path) / 'workorders.sqlite3'}"


def _json_or_none(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")
