"""Complaint outcomes on an order: repeat complaints, upgrades and liability judgments,
first-contact resolution; the bodies of escalating and judging an order."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import aware_field


def _code(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=50), **kwargs)


class OnTheSpotSchema(ma.Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                           metadata={"description": "The answer given to the customer"})


class RecentOrderSchema(ma.Schema):
    number = fields.String()
    category = fields.String()
    status = fields.String(metadata={"description": "open|closed"})
    submitted_at = aware_field()
    acceptance_department = fields.String()


class RepeatSchema(ma.Schema):
    count = fields.Integer(metadata={"description": "The customer's earlier orders within "
                                                    "the repeat window (0: no repeat)"})
    repeat_of = fields.String(allow_none=True, metadata={"description": "The latest of them"})
    recent_orders = fields.List(fields.Nested(RecentOrderSchema), metadata={
        "description": "The customer's orders within the window before this one, newest "
                       "first (those the caller may see)"})


class JudgmentSchema(ma.Schema):
    version = fields.Integer()
    liable = fields.Boolean(metadata={"description": "Company-liable (企业有责)"})
    departments = fields.List(fields.String(), metadata={"description": "Liable departments"})
    cause = fields.String(allow_none=True, metadata={"description": "A coded liable cause"})
    cause_name = fields.String(allow_none=True)
    major = fields.Boolean(metadata={"description": "Caused a major complaint"})
    judged_at = aware_field()
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = aware_field()


class UpgradeSchema(ma.Schema):
    upgraded = fields.Boolean()
    source = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    upgraded_at = aware_field(allow_none=True)
    liability = fields.Nested(JudgmentSchema, allow_none=True,
                              metadata={"description": "The latest judgment"})
    judgments = fields.List(fields.Nested(JudgmentSchema),
                            metadata={"description": "Every version, oldest first"})


class EscalateSchema(ma.Schema):
    source = _code(required=True, metadata={
        "description": "Where the customer went: upgrades.sources of data/settings.json"})
    reference = fields.String(required=True, validate=validate.Length(min=1, max=200),
                              metadata={"description": "Its reference (case number)"})


class JudgeSchema(ma.Schema):
    liable = fields.Boolean(required=True, metadata={"description": "Company-liable"})
    departments = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                              load_default=list, validate=validate.Length(max=20))
    cause = _code(load_default=None, allow_none=True,
                  metadata={"description": "upgrades.liable_causes of data/settings.json"})
    major = fields.Boolean(load_default=False,
                           metadata={"description": "It caused a major complaint"})
    judged_at = aware_field(load_default=None, allow_none=True,
                            metadata={"description": "Default: now"})
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=2000))
