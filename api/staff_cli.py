"""`flask staff ...`: staff accounts from a terminal (the first administrator, say)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from engine.definitions.forms import FormValidationError
from engine.errors import EngineError
from engine.people.accounts import STAFF_ROLES, Accounts


def _accounts() -> Accounts:
    from .cli import _prepare

    _prepare(deploy=False)
    return current_app.extensions["accounts"]


def _fail(err: Exception) -> click.ClickException:
    if isinstance(err, FormValidationError):
        return click.UsageError("; ".join(f"{e.field}: {e.message}" for e in err.errors))
    return click.ClickException(str(err))


@click.group("staff")
def staff_group() -> None:
    """Create, list, change and disable staff accounts (people who log in)."""


@staff_group.command("create")
@click.argument("staff_id")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(STAFF_ROLES),
              help="Repeat for several roles.")
@click.option("--department", "departments", multiple=True,
              help="A department id of data/departments.json; repeat for several.")
@click.option("--email", default=None)
@click.option("--phone", default=None)
@click.password_option(help="Asked for when not given.")
@with_appcontext
def staff_create(staff_id: str, name: str, roles: tuple[str, ...],
                 departments: tuple[str, ...], email: str | None, phone: str | None,
                 password: str) -> None:
    """Create the account STAFF_ID (工号)."""
    try:
        _accounts().create({"staff_id": staff_id, "name": name, "roles": list(roles),
                            "departments": list(departments), "email": email,
                            "phone": phone, "password": password})
    except (EngineError, FormValidationError) as err:
        raise _fail(err) from None
    click.echo(f"created {staff_id}")


@staff_group.command("list")
@click.option("--department", default=None)
@with_appcontext
def staff_list(department: str | None) -> None:
    """List accounts (never their passwords)."""
    for person in _accounts().people(department=department):
        state = "disabled" if person.disabled_at else (
            f"locked until {person.locked_until.isoformat()}" if person.locked_until
            else "active")
        click.echo(f"{person.staff_id:<12} {person.name:<24} {','.join(person.roles):<28} "
                   f"{','.join(person.departments) or '-':<32} {state}")


@staff_group.command("set-password")
@click.argument("staff_id")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def staff_set_password(staff_id: str, password: str) -> None:
    """Give STAFF_ID a new password (ends their sessions, lifts a lockout)."""
    try:
        _accounts().update(staff_id, {"password": password, "unlock": True})
    except (EngineError, FormValidationError) as err:
        raise _fail(err) from None
    click.echo(f"password of {staff_id} changed")


@staff_group.command("disable")
@click.argument("staff_id")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@with_appcontext
def staff_disable(staff_id: str, enable: bool) -> None:
    """Disable STAFF_ID (their sessions end at once), or enable it again."""
    try:
        _accounts().update(staff_id, {"disabled": not enable})
    except (EngineError, FormValidationError) as err:
        raise _fail(err) from None
    click.echo(f"{staff_id} {'enabled' if enable else 'disabled'}")
