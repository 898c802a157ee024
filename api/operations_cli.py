"""Operators' commands: `flask incidents list|retry|resolve` (timers, deliveries and
messages that failed too often; the same as /api/v1/incidents) and `flask archive`
(retention of closed orders)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.errors import EngineError


@click.group("incidents")
def incidents_group() -> None:
    """List, retry and resolve incidents (failed timers and deliveries)."""


def _incidents():
    return current_app.extensions["process_engine"].incidents


@incidents_group.command("list")
@click.option("--state", default="open", show_default=True,
              type=click.Choice(["open", "retried", "resolved", "all"]))
@with_appcontext
def incidents_list(state: str) -> None:
    """Incidents, newest first."""
    page = _incidents().search(None if state == "all" else state, None, 1, 1000)
    for incident in page.items:
        click.echo(f"{incident.id:>5}  {incident.kind:<8} {incident.state:<8} "
                   f"{incident.business_key or '-':<22} {incident.subject_id:<36} "
                   f"{incident.attempts:>3}x  {incident.last_error}")
    click.echo(f"{page.total} incident(s)")


@incidents_group.command("retry")
@click.argument("incident_id", type=int)
@click.option("--by", default="operator", show_default=True, help="Who retries it.")
@with_appcontext
def incidents_retry(incident_id: int, by: str) -> None:
    """Put the failed timer or delivery back in the queue."""
    try:
        _incidents().retry(incident_id, by)
    except EngineError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"incident {incident_id} retried")


@incidents_group.command("resolve")
@click.argument("incident_id", type=int)
@click.option("--by", default="operator", show_default=True, help="Who resolves it.")
@with_appcontext
def incidents_resolve(incident_id: int, by: str) -> None:
    """Acknowledge the incident; nothing is retried."""
    try:
        _incidents().resolve(incident_id, by)
    except EngineError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"incident {incident_id} resolved")


@click.command("archive")
@click.option("--dry-run", is_flag=True, help="List what would be archived; change nothing.")
@click.option("--older-than", default=None,
              help="ISO 8601 duration since closing (default: retention.archive_after of "
                   "data/integrations.json).")
@with_appcontext
def archive_command(dry_run: bool, older_than: str | None) -> None:
    """Archive closed orders: drop their saved state, timer rows and delivered outbox
    events; keep the timeline, the report figures and the order."""
    from engine.runtime.sandbox import parse_duration
    from engine.workorders.retention import archive_closed_orders

    age = current_app.extensions["integrations"].settings.archive_after
    if older_than is not None:
        try:
            age = parse_duration(older_than)
        except (ValueError, ArithmeticError):
            raise click.BadParameter(f"{older_than!r} is not an ISO 8601 duration such as "
                                     "P90D", param_hint="--older-than") from None
    archived = archive_closed_orders(current_app.extensions["process_engine"], age,
                                     dry_run=dry_run)
    verb = "would archive" if dry_run else "archived"
    for order in archived:
        click.echo(f"{verb} {order.number} (closed {order.ended_at:%Y-%m-%d %H:%M}): "
                   f"{order.state_bytes} bytes of state, {order.timers} timer rows, "
                   f"{order.outbox_events} outbox events")
    click.echo(f"{len(archived)} order(s) {verb}.")
