"""Shared by the schemas of every resource: fields, pagination and the problem body."""
from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 instant with a zone, normalised to UTC; one too close to the ends of
    the calendar to convert is a field error, not a crash."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ma.ValidationError("is out of range") from None


def key_field(**kwargs) -> fields.String:
    """An identifier or business key: 1-200 characters (NUL is refused by api/guards.py)."""
    return fields.String(validate=validate.Length(min=1, max=200), **kwargs)


Key = key_field()
# Upper bound for page and version numbers: far beyond real use, well inside a 64-bit column.
MAX_NUMBER = 1_000_000


def aware_field(**kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(format="iso", default_timezone=UTC, **kwargs)


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_NUMBER))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageSchema(ma.Schema):
    total = fields.Integer(required=True, metadata={"description": "Items matching in all"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class ProblemSchema(ma.Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Dict())
