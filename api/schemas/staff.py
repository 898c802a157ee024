"""Staff accounts and logins."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from engine.people.accounts import OTHER_ROLES, STAFF_ROLES

from .common import aware_field, key_field
from .reports import ReportWindowArgs

_DEPARTMENTS_DOC = {"description": "Department ids, from GET /api/v1/departments"}


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def _password(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=1000), load_only=True, **kwargs)


class StaffSchema(ma.Schema):
    staff_id = fields.String(required=True, metadata={"description": "工号"})
    name = fields.String(required=True)
    departments = fields.List(fields.String(), required=True, metadata=_DEPARTMENTS_DOC)
    roles = fields.List(fields.String(validate=validate.OneOf(STAFF_ROLES)), required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    disabled = fields.Boolean(required=True)
    locked_until = aware_field(allow_none=True)
    created_at = aware_field(required=True)
    password_changed_at = aware_field(required=True)


class StaffCreateSchema(ma.Schema):
    staff_id = _text(40, required=True, metadata={"description": "工号: letters, digits, "
                                                                 "'_', '.', '-'"})
    name = _text(200, required=True)
    departments = fields.List(key_field(), load_default=list,
                              validate=validate.Length(max=50), metadata=_DEPARTMENTS_DOC)
    roles = fields.List(fields.String(validate=validate.OneOf(STAFF_ROLES)), required=True,
                        validate=validate.Length(min=1, max=len(STAFF_ROLES)))
    email = fields.Email(validate=validate.Length(max=200), allow_none=True)
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 -]{3,30}$"), allow_none=True)
    password = _password(required=True, metadata={"description": "At least the length "
                                                                  "data/people.json asks"})


class StaffUpdateSchema(ma.Schema):
    name = _text(200)
    departments = fields.List(key_field(), validate=validate.Length(max=50),
                              metadata=_DEPARTMENTS_DOC)
    roles = fields.List(fields.String(validate=validate.OneOf(STAFF_ROLES)),
                        validate=validate.Length(min=1, max=len(STAFF_ROLES)))
    email = fields.Email(validate=validate.Length(max=200), allow_none=True)
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 -]{3,30}$"), allow_none=True)
    password = _password(metadata={"description": "A new password (ends their sessions)"})
    disabled = fields.Boolean(metadata={"description": "true ends their sessions"})
    unlock = fields.Boolean(metadata={"description": "true lifts a lockout"})


class StaffQueryArgs(ma.Schema):
    department = key_field()
    role = fields.String(validate=validate.OneOf(STAFF_ROLES))


class LoginSchema(ma.Schema):
    staff_id = _text(40, required=True)
    password = _password(required=True)
    department = key_field(metadata={"description": "The department to act for (a handler "
                                                    "or supervisor of several); default: "
                                                    "the first of theirs"})
    acting_as = fields.String(validate=validate.OneOf(("department", *OTHER_ROLES)),
                              metadata={"description": "The role to act in; default: "
                                                       "department if they work in one"})


class SessionSchema(ma.Schema):
    token = fields.String(required=True, metadata={"description": "Bearer token, shown once"})
    expires_at = aware_field(required=True)
    role = fields.String(required=True)
    department = fields.String(allow_none=True)
    staff = fields.Nested(StaffSchema, required=True)


class PasswordChangeSchema(ma.Schema):
    current_password = _password(required=True)
    new_password = _password(required=True)


class HandlerFiguresSchema(ma.Schema):
    staff_id = fields.String(required=True)
    name = fields.String(required=True)
    departments = fields.List(fields.String(), required=True)
    orders = fields.Integer(required=True, metadata={"description": "Orders they worked on"})
    first_contact_resolutions = fields.Integer(required=True, metadata={
        "description": "Orders they worked on that closed without a transfer, send-back, "
                       "audit rejection or supervisor referral"})
    stages = fields.Integer(required=True, metadata={"description": "Stages they completed"})
    on_time = fields.Integer(required=True)
    with_limit = fields.Integer(required=True)
    on_time_rate = fields.Float(allow_none=True, metadata={
        "description": "on_time / with_limit (stages completed by their due time)"})
    median_handling_seconds = fields.Float(allow_none=True, metadata={
        "description": "Median of a stage's opening to its completion"})


class HandlerReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from", required=True)
    to = aware_field(required=True)
    handlers = fields.List(fields.Nested(HandlerFiguresSchema), required=True)


class HandlerReportArgs(ReportWindowArgs):
    department = key_field(metadata={"description": "Only stages of this department"})
