"""Staff accounts and their logins: created by administrators, passwords hashed with
Argon2id (argon2-cffi), short-lived bearer tokens, lockout after repeated failures.

A login acts for one department (a handler or supervisor, confined like a department
token) or in one other role (manager, designer, admin): the principal roles the HTTP
layer already knows. The staff id is the actor every timeline entry names."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.people.errors import (
    AccountLocked,
    LoginRefused,
    StaffIdInUse,
    StaffNotFound,
)
from engine.people.models import Staff, StaffSession
from engine.people.settings import PeopleSettings
from engine.process_engine import ProcessEngine

STAFF_ROLES = ("handler", "supervisor", "manager", "designer", "admin")
# Staff roles that work a department's stages: such a login acts for one department.
DEPARTMENT_ROLES = ("handler", "supervisor")
# The principal role a login acts in, for a staff role that is not a department's.
OTHER_ROLES = ("manager", "designer", "admin")
SESSION_PREFIX = "ps_"
STAFF_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_hasher = PasswordHasher()
# Verified when the staff id is unknown, so that a wrong id costs what a wrong password does.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class StaffSessionView:
    """Who a staff token speaks for."""

    staff: Staff
    role: str
    department: str | None


@dataclass(frozen=True)
class Login:
    token: str  # shown once
    expires_at: datetime
    role: str
    department: str | None
    staff: Staff


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    def __init__(self, engine: ProcessEngine, settings: PeopleSettings) -> None:
        self.engine = engine
        self.settings = settings

    # ----------------------------------------------------------- administration

    def create(self, fields: dict[str, Any]) -> Staff:
        """A new staff member from `fields` (staff_id, name, departments, roles, email,
        phone, password); each bad field is named."""
        staff_id = fields.get("staff_id", "")
        errors = self._problems(fields, new=True)
        if errors:
            raise FormValidationError("staff", errors)
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            if session.get(Staff, staff_id) is not None:
                raise StaffIdInUse(staff_id)
            staff = Staff(staff_id=staff_id, name=fields["name"],
                          departments=list(fields.get("departments") or []),
                          roles=list(fields["roles"]), email=fields.get("email"),
                          phone=fields.get("phone"),
                          password_hash=_hasher.hash(fields["password"]), failed_logins=0,
                          password_changed_at=now, created_at=now)
            session.add(staff)
        return staff

    def update(self, staff_id: str, changes: dict[str, Any]) -> Staff:
        """Change name, departments, roles, contact details, a new password, disabled or
        locked state; a disabled account's sessions end at once."""
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            staff = _staff(session, staff_id, lock=True)
            merged = {"staff_id": staff_id, "departments": staff.departments,
                      "roles": staff.roles, **changes}
            if errors := self._problems(merged, new=False):
                raise FormValidationError("staff", errors)
            for key in ("name", "email", "phone", "departments", "roles"):
                if key in changes:
                    setattr(staff, key, list(changes[key]) if key in ("departments", "roles")
                            else changes[key])
            if changes.get("password"):
                staff.password_hash = _hasher.hash(changes["password"])
                staff.password_changed_at = now
                _end_sessions(session, staff_id, now)
            if changes.get("unlock"):
                staff.failed_logins, staff.locked_until = 0, None
            if "disabled" in changes:
                staff.disabled_at = (staff.disabled_at or now) if changes["disabled"] else None
                if changes["disabled"]:
                    _end_sessions(session, staff_id, now)
            return staff

    def get(self, staff_id: str) -> Staff:
        with self.engine.reading() as session:
            return _staff(session, staff_id)

    def people(self, department: str | None = None, role: str | None = None) -> list[Staff]:
        with self.engine.reading() as session:
            people = list(session.scalars(select(Staff).order_by(Staff.staff_id)))
        return [person for person in people
                if (department is None or person.works_in(department))
                and (role is None or person.has_role(role))]

    def _problems(self, fields: dict[str, Any], *, new: bool) -> list[FieldError]:
        errors = []
        if new and not STAFF_ID.fullmatch(str(fields.get("staff_id", ""))):
            errors.append(FieldError("staff_id", "must be 1-40 letters, digits, '_', '.', "
                                                 "'-', starting with a letter or digit"))
        roles = list(fields.get("roles") or [])
        departments = list(fields.get("departments") or [])
        if not roles:
            errors.append(FieldError("roles", "name at least one role"))
        for index, role in enumerate(roles):
            if role not in STAFF_ROLES:
                errors.append(FieldError(f"roles.{index}", f"{role!r} is not one of "
                                                           f"{', '.join(STAFF_ROLES)}"))
        directory = self.engine.directory
        for index, department in enumerate(departments):
            if directory is not None and department not in directory:
                errors.append(FieldError(f"departments.{index}",
                                         f"{department!r} is not a department "
                                         "(GET /api/v1/departments)"))
        if any(role in DEPARTMENT_ROLES for role in roles) and not departments:
            errors.append(FieldError("departments", "a handler or supervisor works in at "
                                                    "least one department"))
        password = fields.get("password")
        if new or password is not None:
            errors.extend(self.password_problems(str(fields.get("staff_id")), password))
        return errors

    def password_problems(self, staff_id: str, password: Any,
                          field: str = "password") -> list[FieldError]:
        least = self.settings.password_min_length
        if not isinstance(password, str) or len(password) < least:
            return [FieldError(field, f"must have at least {least} characters")]
        if password.strip().lower() == staff_id.lower():
            return [FieldError(field, "must not be the staff id")]
        return []

    # ----------------------------------------------------------------- logins

    def login(self, staff_id: str, password: str, *, department: str | None = None,
              acting_as: str | None = None) -> Login:
        """A bearer token for `staff_id`, acting for `department` (a handler's or
        supervisor's; the first of theirs by default) or as `acting_as`."""
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            staff = session.get(Staff, staff_id, with_for_update=True) \
                if STAFF_ID.fullmatch(staff_id) else None
            if staff is None or staff.disabled_at is not None:
                _verify(_DUMMY_HASH, password)
                refusal: Exception | None = LoginRefused()
            elif staff.locked_until is not None and now < staff.locked_until:
                refusal = AccountLocked(staff.locked_until.isoformat())
            elif not _verify(staff.password_hash, password):
                refusal = self._count_failure(staff, now)
            else:
                refusal = None
                role, acting_department = _acting(staff, department, acting_as)
                staff.failed_logins, staff.locked_until = 0, None
                if _hasher.check_needs_rehash(staff.password_hash):
                    staff.password_hash = _hasher.hash(password)
                token = SESSION_PREFIX + secrets.token_urlsafe(32)
                expires = now + self.settings.session_lifetime
                session.add(StaffSession(token_hash=token_hash(token), staff_id=staff_id,
                                         role=role, department=acting_department,
                                         created_at=now, expires_at=expires))
        if refusal is not None or staff is None:
            raise refusal or LoginRefused()  # after the commit: the failure count is kept
        return Login(token, expires, role, acting_department, staff)

    def _count_failure(self, staff: Staff, now: datetime) -> Exception:
        staff.failed_logins = (staff.failed_logins or 0) + 1
        if staff.failed_logins >= self.settings.lockout_failures:
            staff.failed_logins = 0
            staff.locked_until = now + self.settings.lockout_duration
            return AccountLocked(staff.locked_until.isoformat())
        return LoginRefused()

    def logout(self, token: str) -> None:
        with self.engine.transaction() as session:
            row = session.get(StaffSession, token_hash(token))
            if row is not None and row.revoked_at is None:
                row.revoked_at = self.engine.clock.now()

    def change_password(self, staff_id: str, current: str, new: str, token: str) -> None:
        """The person's own change: the current password is asked again; every other
        session of theirs ends."""
        now = self.engine.clock.now()
        if errors := self.password_problems(staff_id, new, "new_password"):
            raise FormValidationError("password", errors)
        with self.engine.transaction() as session:
            staff = _staff(session, staff_id, lock=True)
            if not _verify(staff.password_hash, current):
                raise FormValidationError("password", [
                    FieldError("current_password", "is not your password")])
            staff.password_hash = _hasher.hash(new)
            staff.password_changed_at = now
            _end_sessions(session, staff_id, now, keep=token_hash(token))

    def session_for(self, session: Session, token: str, now: datetime
                    ) -> StaffSessionView | None:
        """Who `token` speaks for, if it is a live login of an active account that
        still has the department or role it logged in with."""
        row = session.get(StaffSession, token_hash(token))
        if row is None or row.revoked_at is not None or now >= row.expires_at:
            return None
        staff = session.get(Staff, row.staff_id)
        if staff is None or staff.disabled_at is not None:
            return None
        if row.department is not None:
            still = staff.works_in(row.department) and any(
                staff.has_role(role) for role in DEPARTMENT_ROLES)
        else:
            still = staff.has_role(row.role)
        return StaffSessionView(staff, row.role, row.department) if still else None


def _acting(staff: Staff, department: str | None, acting_as: str | None
            ) -> tuple[str, str | None]:
    """(principal role, department) a login acts in; a field error if it may not."""
    works = any(staff.has_role(role) for role in DEPARTMENT_ROLES)
    if acting_as not in (None, "department") or (acting_as is None and not works):
        role = acting_as or next(role for role in OTHER_ROLES if staff.has_role(role))
        if role not in OTHER_ROLES or not staff.has_role(role):
            raise FormValidationError("login", [FieldError(
                "acting_as", f"{role!r} is not a role of yours ({', '.join(staff.roles)})")])
        return role, None
    if not works:
        raise FormValidationError("login", [FieldError(
            "acting_as", "you are no handler or supervisor of any department")])
    chosen = department or staff.departments[0]
    if not staff.works_in(chosen):
        raise FormValidationError("login", [FieldError(
            "department", f"you do not work in {chosen!r} "
                          f"(yours: {', '.join(staff.departments)})")])
    return "department", chosen


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _staff(session: Session, staff_id: str, *, lock: bool = False) -> Staff:
    staff = session.get(Staff, staff_id, with_for_update=lock) \
        if STAFF_ID.fullmatch(staff_id) else None
    if staff is None:
        raise StaffNotFound(staff_id)
    return staff


def _end_sessions(session: Session, staff_id: str, now: datetime,
                  keep: str | None = None) -> None:
    query = update(StaffSession).where(StaffSession.staff_id == staff_id,
                                       StaffSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(StaffSession.token_hash != keep)
    session.execute(query.values(revoked_at=now))
