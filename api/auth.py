"""Bearer tokens and roles.

A token is shown once when created; only its SHA-256 is stored. Every principal has
one role; a department principal also names its department and sees only the tasks
of that department.
"""
from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from flask import abort, g, request
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from engine.people.accounts import SESSION_PREFIX, Accounts
from engine.store.models import Base

from .guards import check_json_body

ROLES = ("department", "integrator", "designer", "manager", "admin")
TOKEN_PREFIX = "wo_"


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    department: str | None
    # A person logged in (engine/people): their staff id (also `name`) and staff roles.
    staff_id: str | None = None
    staff_roles: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def is_staff(self, role: str) -> bool:
        return role in self.staff_roles


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, name: str, role: str, department: str | None, now: datetime
) -> str:
    """Store a new token and return it; this is the only time it is readable."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if (role == "department") != (department is not None):
        raise ValueError("a department token needs --department; other roles take none")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role, department=department,
                         token_hash=hash_token(token), created_at=now))
    return token


def principal_for(session: Session, token: str) -> Principal | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    if (row.role == "department") != (row.department is not None):
        return None  # create_token makes no such token; it would not be confined
    return Principal(row.name, row.role, row.department)


def staff_principal_for(session: Session, token: str, accounts: Accounts,
                        now: datetime) -> Principal | None:
    """The person a login token (engine/people) speaks for, while it lives."""
    found = accounts.session_for(session, token, now)
    if found is None:
        return None
    return Principal(found.staff.staff_id, found.role, found.department,
                     staff_id=found.staff.staff_id, staff_roles=tuple(found.staff.roles))


def authenticate(reading: Callable[[], AbstractContextManager[Session]],
                 accounts: Accounts | None = None, now: datetime | None = None) -> None:
    """before_request hook: set g.principal from the Authorization header or answer 401.
    A token is an API token (integrators, departments, ...) or a person's login."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    principal = None
    if scheme.lower() == "bearer" and token.strip():
        token = token.strip()
        with reading() as session:
            if token.startswith(SESSION_PREFIX) and accounts is not None and now is not None:
                principal = staff_principal_for(session, token, accounts, now)
            else:
                principal = principal_for(session, token)
    if principal is None:
        raise Unauthorized(
            description="A valid bearer token is required (Authorization: Bearer <token>).",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "workorders"}),
        )
    g.principal = principal


def current_principal() -> Principal:
    return g.principal


def requires(*roles: str):
    """Allow only these roles (admin always). The caller is authenticated by then (a
    before_request hook), and the body is read only after this check passes: first
    by the raw checks of guards.check_json_body, then by the view's parser."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal.role not in roles and not principal.is_admin:
                abort(403, description=f"role {principal.role!r} may not do this; "
                                       f"allowed: {', '.join(roles)}")
            check_json_body(request)
            return view(*args, **kwargs)
        wrapper.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapper
    return decorate


def public(view):
    """An endpoint anyone may call without a token (a login); its body is checked as
    every other body is."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        check_json_body(request)
        return view(*args, **kwargs)
    wrapper.allowed_roles = ("anyone",)  # type: ignore[attr-defined]
    return wrapper
