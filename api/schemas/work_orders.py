"""Work orders: intake, following, and urge, transfer, send-back and audit."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import Key, PageArgs, PageSchema, UtcDateTime, aware_field, key_field
from .instances import TimelineEventSchema


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class WorkOrderSubmissionSchema(ma.Schema):
    """A complaint. Formats, allowed values and lengths are the start form's
    (submit.json) and the category's key fields' (GET /categories); the bounds here are
    only what the columns hold. Every invalid field is listed."""

    customer_phone = _text(20, required=True, metadata={"description": "11-digit mobile"})
    category = key_field(required=True, metadata={"description": "business/phenomenon/cause"})
    content = _text(100_000, required=True, metadata={"description": "Up to 4000 "
                                                                       "characters"})
    channel = _text(50, required=True,
                    metadata={"description": "hotline, business_hall, web, sms, ..."})
    acceptance_department = key_field(metadata={
        "description": "Required from integrators; a department submits as itself"})
    customer_tier = _text(20, metadata={"description": "ordinary (default), vip, special_care"})
    customer_note = fields.String(validate=validate.Length(max=2000),
                                  metadata={"description": "Profile and handling guidance"})
    urgency = _text(20, metadata={"description": "urgent, normal (default), suggestion"})
    key_fields = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                             load_default=dict,
                             metadata={"description": "What the category's template asks"})
    external_reference = key_field(metadata={
        "description": "Your own id for it; submitting it again returns the same order"})


class OpenStageSchema(ma.Schema):
    task_id = fields.String()
    stage = fields.String()
    stage_name = fields.String()
    department = fields.String()
    form = fields.String(allow_none=True, metadata={
        "description": "The stage's form (GET /api/v1/tasks/{task_id} has its schema)"})
    assignee = fields.String(allow_none=True)
    opened_at = aware_field()
    stage_limit = fields.String(allow_none=True, metadata={"description": "ISO 8601"})
    due_at = aware_field(allow_none=True)
    seconds_remaining = fields.Float(allow_none=True,
                                     metadata={"description": "Negative when overdue"})
    overdue = fields.Boolean()
    department_limit = fields.String(allow_none=True,
                                     metadata={"description": "The department's total"})
    department_due_at = aware_field(allow_none=True)
    department_seconds_remaining = fields.Float(allow_none=True)


class WorkOrderCountsSchema(ma.Schema):
    urges = fields.Integer()
    transfers = fields.Integer()
    returns = fields.Integer(metadata={"description": "Sent back to the dispatcher"})
    audit_rejections = fields.Integer()
    supervisor_referrals = fields.Integer(metadata={"description": "Transfer cap reached"})
    reopens = fields.Integer(metadata={"description": "Reopened by a return visit"})


class WorkOrderSchema(ma.Schema):
    number = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open|closed"})
    flow = fields.String()
    category = fields.String()
    customer_phone = fields.String()
    channel = fields.String()
    acceptance_department = fields.String()
    customer_tier = fields.String()
    urgency = fields.String()
    submitted_by = fields.String()
    submitted_at = aware_field()
    closed_at = aware_field(allow_none=True)
    responsible_departments = fields.List(fields.String(), metadata={
        "description": "Departments holding an open stage now"})
    overdue = fields.Boolean(metadata={"description": "An open stage is past its limit"})
    open_stages = fields.List(fields.Nested(OpenStageSchema))


class StageDurationSchema(ma.Schema):
    stage = fields.String()
    stage_name = fields.String()
    lane = fields.String(allow_none=True)
    department = fields.String()
    state = fields.String()
    opened_at = aware_field()
    completed_at = aware_field(allow_none=True)
    held_seconds = fields.Float(metadata={"description": "Up to now while open"})
    limit = fields.String(allow_none=True, metadata={"description": "As it applied"})
    due_at = aware_field(allow_none=True)
    within_limit = fields.Boolean(allow_none=True)


class DepartmentDurationSchema(ma.Schema):
    lane = fields.String(allow_none=True)
    department = fields.String()
    held_seconds = fields.Float(metadata={"description": "All its stages in this lane"})
    limit = fields.String(allow_none=True, metadata={"description": "Its total, as it "
                                                                    "applied"})
    within_limit = fields.Boolean(allow_none=True)


class DurationsSchema(ma.Schema):
    stages = fields.List(fields.Nested(StageDurationSchema))
    departments = fields.List(fields.Nested(DepartmentDurationSchema))


class CloseOutSchema(ma.Schema):
    liable_department = fields.String(allow_none=True)
    liable_cause = fields.String(allow_none=True, metadata={
        "description": "A code of GET /api/v1/code-lists/liable_causes"})
    justified = fields.Boolean(allow_none=True)
    customer_reached = fields.Boolean(allow_none=True)
    satisfaction = fields.String(allow_none=True)
    visit_reached = fields.Boolean(allow_none=True, metadata={
        "description": "The latest return visit, if any"})
    visit_resolved = fields.Boolean(allow_none=True)
    visit_satisfaction = fields.String(allow_none=True)


class WorkOrderDetailSchema(WorkOrderSchema):
    instance_id = fields.String()
    category_names = fields.List(fields.String())
    content = fields.String()
    customer_note = fields.String(allow_none=True)
    key_fields = fields.Dict()
    external_reference = fields.String(allow_none=True)
    counts = fields.Nested(WorkOrderCountsSchema)
    close_out = fields.Nested(CloseOutSchema, allow_none=True, metadata={
        "description": "The feedback's close-out coding and the latest return visit"})
    durations = fields.Nested(DurationsSchema, metadata={
        "description": "Each stage and each department (per lane) against its limit"})
    lapses = fields.List(fields.Nested(TimelineEventSchema),
                         metadata={"description": "Limits that passed"})
    escalations = fields.List(fields.Nested(TimelineEventSchema),
                              metadata={"description": "Ladder rungs that fired"})
    timeline = fields.List(fields.Nested(TimelineEventSchema))


class WorkOrderPageSchema(PageSchema):
    items = fields.List(fields.Nested(WorkOrderSchema), required=True)


class WorkOrderQueryArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))
    department = key_field(metadata={"description": "Holds an open stage now"})
    acceptance_department = Key
    category = key_field(metadata={"description": "A category or a prefix: network, "
                                                  "network/no_signal"})
    overdue = fields.Boolean()
    phone = _text(20)
    urgency = _text(20)
    customer_tier = _text(20)
    channel = _text(50)
    submitted_from = UtcDateTime(format="iso")
    submitted_to = UtcDateTime(format="iso", metadata={"description": "Exclusive"})


class UrgeSchema(ma.Schema):
    note = fields.String(validate=validate.Length(max=2000), load_default=None)


class TransferSchema(ma.Schema):
    to_department = key_field(required=True)
    reason = _text(2000, required=True)


class SendBackSchema(ma.Schema):
    reason = _text(2000, required=True)


class AuditSchema(ma.Schema):
    approved = fields.Boolean(required=True)
    reason = _text(2000, load_default=None, metadata={"description": "Required to reject"})
    reply_rating = fields.Integer(load_default=None, validate=validate.Range(1, 5), metadata={
        "description": "The quality of the processing department's reply, 1-5 (回复满意度)"})
