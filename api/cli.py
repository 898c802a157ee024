"""`flask` commands: demo, worker."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from engine.demo import run_demo
from engine.worker import default_worker_id, run_worker


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Run every flow twice on a simulated clock (one order late) and print the result."""
    failed = run_demo(Path(current_app.config["PROCESSES_DIR"]),
                      Path(current_app.config["FORMS_DIR"]), out=click.echo)
    if failed:
        raise click.ClickException(f"{failed} demo order(s) did not complete")


@click.command("worker")
@with_appcontext
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--batch-size", default=100, show_default=True, help="Timers claimed at once.")
@click.option("--worker-id", default=None, help="Name used for timer leases.")
def worker_command(interval: float, batch_size: int, worker_id: str | None) -> None:
    """Fire due timers on the configured database until Ctrl-C or SIGTERM."""
    from . import process_engine

    stop = threading.Event()

    def request_stop(signum, _frame):
        click.echo(f"received {signal.Signals(signum).name}; stopping after this batch")
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    worker_id = worker_id or default_worker_id()
    click.echo(f"timer worker {worker_id} running; Ctrl-C to stop")
    total = run_worker(process_engine(current_app), stop, interval_seconds=interval,
                       batch_size=batch_size, worker_id=worker_id)
    click.echo(f"worker stopped; {total} timers fired")
