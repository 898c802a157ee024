"""Customer profiles."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import aware_field


class CustomerProfileSchema(ma.Schema):
    tier = fields.String(required=True, metadata={"description": "data/people.json's tiers"})
    guidance = fields.String(allow_none=True, metadata={"description": "How to handle them"})
    markers = fields.List(fields.String(), required=True, metadata={
        "description": "Sensitivity markers (data/people.json's markers)"})
    updated_at = aware_field(required=True)
    updated_by = fields.String(required=True)
    department = fields.String(allow_none=True)


class CustomerProfileInputSchema(ma.Schema):
    tier = fields.String(validate=validate.Length(min=1, max=20))
    guidance = fields.String(validate=validate.Length(max=4000), allow_none=True)
    markers = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                          validate=validate.Length(max=20))


class ProfileChangeSchema(ma.Schema):
    id = fields.Integer(required=True)
    at = aware_field(required=True)
    by = fields.String(required=True)
    department = fields.String(allow_none=True)
    changes = fields.Dict(required=True, metadata={
        "description": "field -> {before, after}"})
