"""The customer's demand, the remedy granted, refund audits."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import aware_field

_AMOUNT = {"description": "In yuan, at most two decimals"}


class RemedyInputSchema(ma.Schema):
    demands = fields.List(fields.String(validate=validate.Length(min=1, max=40)),
                          load_default=list, validate=validate.Length(max=20), metadata={
                              "description": "What the customer asks: data/people.json's "
                                             "remedies.demands"})
    refund_amount = fields.Float(allow_nan=False, allow_none=True, metadata=_AMOUNT)
    compensation_amount = fields.Float(allow_nan=False, allow_none=True, metadata=_AMOUNT)
    apology = fields.Boolean(load_default=False)
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)


class RemedySchema(ma.Schema):
    demands = fields.List(fields.String(), required=True)
    refund_amount = fields.Decimal(as_string=True, required=True, places=2)
    compensation_amount = fields.Decimal(as_string=True, required=True, places=2)
    apology = fields.Boolean(required=True)
    note = fields.String(allow_none=True)
    recorded_by = fields.String(required=True)
    department = fields.String(allow_none=True)
    recorded_at = aware_field(required=True)


class RefundAuditInputSchema(ma.Schema):
    approved = fields.Boolean(required=True)
    note = fields.String(validate=validate.Length(max=2000), allow_none=True)


class RefundAuditSchema(ma.Schema):
    id = fields.Integer(required=True)
    refund_amount = fields.Decimal(as_string=True, required=True, places=2)
    approved = fields.Boolean(required=True)
    note = fields.String(allow_none=True)
    audited_by = fields.String(required=True)
    department = fields.String(allow_none=True)
    audited_at = aware_field(required=True)


class RemedyStateSchema(ma.Schema):
    number = fields.String(required=True)
    remedy = fields.Nested(RemedySchema, allow_none=True)
    refund_audits = fields.List(fields.Nested(RefundAuditSchema), required=True)
    refund_audit_pending = fields.String(allow_none=True, metadata={
        "description": "Why the feedback must wait for a refund audit (null: it need not)"})
