"""`flask` commands: serve (the main job), worker, demo, tokens, deploy (and report,
in report_cli.py)."""
from __future__ import annotations

import json
import logging
import signal
import socket
import threading
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.integrations.worker import DeliveryWorker
from engine.runtime.worker import (
    EMBEDDED,
    default_worker_id,
    embedded_worker_id,
    run_embedded_worker,
    run_worker,
)
from engine.workorders.demo import run_demo

from .auth import ROLES, ApiToken, create_token
from .operations_cli import archive_command, incidents_group
from .report_cli import report_group
from .staff_cli import staff_group


def register_commands(app: Flask) -> None:
    for command in (serve_command, worker_command, demo_command, deploy_command, tokens_group,
                    report_group, repair_command, staff_group, incidents_group,
                    archive_command, recompute_calendars_command):
        app.cli.add_command(command)


def _engine():
    return current_app.extensions["process_engine"]


def _prepare(*, deploy: bool) -> None:
    """Schema check (and upgrade where allowed) before a command touches the database."""
    from . import SchemaOutOfDate, prepare_database

    try:
        prepare_database(current_app, deploy=deploy)
    except SchemaOutOfDate as err:
        raise click.ClickException(str(err)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, help="HTTP worker threads.")
@click.option("--timer-worker/--no-timer-worker", default=True, show_default=True,
              help="Also fire timers in this process (the embedded set-up).")
@with_appcontext
def serve_command(host: str, port: int, threads: int, timer_worker: bool) -> None:
    """Serve the HTTP API (waitress) with a timer worker, on the configured database."""
    from waitress.server import create_server

    _prepare(deploy=True)
    # The application itself for waitress's threads, not the proxy (which Flask's
    # annotations present as a Flask, without the proxy's method).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _print_first_run_tokens()
    stop = threading.Event()
    worker = threading.Thread(target=run_embedded_worker, args=(_engine(), stop),
                              name="timer-worker", daemon=True)
    deliveries = _delivery_thread(embedded_worker_id(), stop)
    if timer_worker:
        worker.start()
        deliveries.start()
    server = create_server(app, host=host, port=port, threads=threads,
                           ident="workorders")  # binds the port now
    click.echo(f"serving http://{host}:{port}/api/v1 (OpenAPI at /api/v1/openapi.json); "
               "Ctrl-C to stop")
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("received a stop signal; finishing")
    finally:
        server.close()
        stop.set()
        if worker.is_alive():
            worker.join(timeout=30)
        if deliveries.is_alive():
            deliveries.join(timeout=30)
        click.echo("stopped")


def _delivery_thread(worker_id: str, stop: threading.Event) -> threading.Thread:
    """Webhook delivery beside the timers, in a thread of its own: a slow endpoint
    never holds a timer up. The embedded one first takes back what an earlier embedded
    server of this host left leased (as the timers do)."""
    integrations = current_app.extensions["integrations"]
    worker = DeliveryWorker(integrations, worker_id)
    if worker_id == embedded_worker_id():
        try:
            integrations.release_leases(owner_prefix=f"{socket.gethostname()}:",
                                        owner_suffix=f":{EMBEDDED}:deliveries")
        except Exception:  # the worker's loop retries the database; leases run out
            logging.getLogger(__name__).exception("could not release delivery leases")
    return threading.Thread(target=worker.run, args=(stop,), name="webhook-worker",
                            daemon=True)


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _print_first_run_tokens() -> None:
    """On an empty token table, create one token per demo principal and print them once."""
    sessions = _engine().sessions
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(ApiToken)):
            click.echo("API tokens exist; create more with `flask tokens create`.")
            return
    directory = json.loads((Path(current_app.config["DATA_DIR"]) /
                            "departments.json").read_text(encoding="utf-8"))
    principals = [(d["id"], "department", d["id"]) for d in directory["departments"]]
    principals += [("demo-integrator", "integrator", None), ("demo-designer", "designer", None),
                   ("demo-manager", "manager", None)]
    now = _engine().clock.now()
    lines = []
    try:
        with sessions() as session, session.begin():
            for name, role, department in principals:
                token = create_token(session, name=name, role=role, department=department,
                                     now=now)
                lines.append(f"  {role:<11} {name:<28} {token}")
    except IntegrityError:
        click.echo("API tokens were just created by another process.")
        return
    click.echo("First run: demo API tokens (shown once; only their hashes are stored):")
    for line in lines:
        click.echo(line)


@click.command("worker")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--batch-size", default=100, show_default=True, help="Timers claimed at once.")
@click.option("--lease-seconds", default=300, show_default=True, type=click.IntRange(1),
              help="How long claimed timers stay this worker's; if it dies, another "
                   "worker takes them after this.")
@click.option("--worker-id", default=None, help="Name used for timer leases.")
@click.option("--deliveries/--no-deliveries", default=True, show_default=True,
              help="Also deliver webhooks (in a thread of their own).")
@with_appcontext
def worker_command(interval: float, batch_size: int, lease_seconds: int,
                   worker_id: str | None, deliveries: bool) -> None:
    """Fire due timers (and deliver webhooks) on the configured database until Ctrl-C
    or SIGTERM."""
    _prepare(deploy=False)
    stop = threading.Event()

    def request_stop(signum, _frame):
        click.echo(f"received {signal.Signals(signum).name}; stopping after this batch")
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    worker_id = worker_id or default_worker_id()
    delivery = _delivery_thread(worker_id, stop)
    if deliveries:
        delivery.start()
    click.echo(f"timer worker {worker_id} running; Ctrl-C to stop")
    total = run_worker(_engine(), stop, interval_seconds=interval, batch_size=batch_size,
                       lease=timedelta(seconds=lease_seconds), worker_id=worker_id)
    if delivery.is_alive():
        delivery.join(timeout=30)
    click.echo(f"worker stopped; {total} timers fired")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Run every flow twice on a simulated clock (one order late), then one complaint
    through urge, transfer and audit, and print the result."""
    failed = run_demo(Path(current_app.config["PROCESSES_DIR"]),
                      Path(current_app.config["FORMS_DIR"]),
                      Path(current_app.config["DATA_DIR"]), out=click.echo)
    if failed:
        raise click.ClickException(f"{failed} demo order(s) did not complete")


@click.group("tokens")
def tokens_group() -> None:
    """Create, list and revoke API bearer tokens."""


@tokens_group.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", default=None, help="Required for --role department.")
@click.option("--name", default=None, help="Who uses it; defaults to the department or role.")
@with_appcontext
def tokens_create(role: str, department: str | None, name: str | None) -> None:
    """Create a token and print it (it cannot be shown again)."""
    _prepare(deploy=False)
    name = name or department or role
    try:
        with _engine().sessions() as session, session.begin():
            token = create_token(session, name=name, role=role, department=department,
                                 now=_engine().clock.now())
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    except IntegrityError:
        raise click.UsageError(f"a token named {name!r} exists; pass another --name") from None
    click.echo(token)


@tokens_group.command("list")
@with_appcontext
def tokens_list() -> None:
    """List tokens (never their values)."""
    _prepare(deploy=False)
    with _engine().sessions() as session:
        for row in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            state = "revoked" if row.revoked_at else "active"
            click.echo(f"{row.id:>4}  {row.role:<11} {row.name:<28} "
                       f"{row.department or '-':<28} {state}")


@tokens_group.command("revoke")
@click.argument("name")
@with_appcontext
def tokens_revoke(name: str) -> None:
    """Revoke the token named NAME."""
    _prepare(deploy=False)
    with _engine().sessions() as session, session.begin():
        row = session.scalar(select(ApiToken).where(ApiToken.name == name))
        if row is None:
            raise click.UsageError(f"no token named {name!r}")
        row.revoked_at = _engine().clock.now()
    click.echo(f"revoked {name}")


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate only; store nothing.")
@with_appcontext
def deploy_command(paths: tuple[Path, ...], dry_run: bool) -> None:
    """Deploy .bpmn, .dmn and .json files (or the ones in folders) like an upload."""
    from engine.definitions.bpmn import DefinitionInvalid
    from engine.definitions.sources import files_in

    _prepare(deploy=False)
    try:
        results = _engine().deployer.deploy_files(
            files_in(*paths), forms_dir=Path(current_app.config["FORMS_DIR"]),
            dry_run=dry_run)
    except DefinitionInvalid as err:
        for problem in err.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(
            f"{len(err.problems)} problem(s); nothing was deployed") from None
    for result in results:
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.kind:<9} {result.key:<28} v{result.version:<4} {state}")
    if dry_run:
        click.echo("dry run: nothing was stored")


@click.command("repair")
@click.option("--dry-run", is_flag=True, help="Report what would change; change nothing.")
@with_appcontext
def repair_command(dry_run: bool) -> None:
    """Repair orders started while a shared spec was changed by an urge (they would never
    close): cancel the urge handler no urge started, and let each order go on."""
    _prepare(deploy=False)
    reports = _engine().repairs.repair_untriggered_event_subprocesses(dry_run=dry_run)
    verb = "would repair" if dry_run else "repaired"
    for report in reports:
        outcome = "ended" if report["ended"] else "still running"
        click.echo(f"{verb} {report['business_key']} ({report['definition']}, instance "
                   f"{report['instance_id']}): cancelled {', '.join(report['cancelled'])}"
                   + ("" if dry_run else f"; {outcome}"))
    click.echo(f"{len(reports)} order(s) {verb}.")


@click.command("recompute-calendars")
@with_appcontext
def recompute_calendars_command() -> None:
    """After data/calendars.json changed (restart first, so the new calendars are
    loaded): work out again the due times and pending rungs of open stages counting
    working time, reported per order; completed stages keep theirs."""
    _prepare(deploy=False)
    changes = _engine().recomputer.recompute_all()
    for change in changes:
        click.echo(f"{change.business_key}  {change.stage} ({change.department}) "
                   f"{change.what}: {change.was.isoformat()} -> {change.now.isoformat()}")
    click.echo(f"{len(changes)} due time(s) moved in "
               f"{len({c.instance_id for c in changes})} order(s).")
