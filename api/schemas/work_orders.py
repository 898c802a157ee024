"""Work orders: intake, following, and urge, transfer, send-back and audit."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import Key, PageArgs, PageSchema, UtcDateTime, aware_field, key_field
from .customers import CustomerProfileSchema
from .instances import TimelineEventSchema
from .outcomes import OnTheSpotSchema, RepeatSchema, UpgradeSchema


def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class WorkOrderSubmissionSchema(ma.Schema):
    """A complaint. Formats, allowed values and lengths are the start form's
    (submit.json) and the category's key fields' (GET /categories); the bounds here are
    only what the columns hold. Every invalid field is listed."""

    customer_phone = _text(20, required=True, metadata={"description": "11-digit mobile"})
    category = key_field(required=True, metadata={"description": "business/phenomenon/cause[/...]"})
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
    city = _text(50, metadata={"description": "The customer's home city (归属地); default: "
                                              "from the number (data/cities.json)"})
    resolved_on_the_spot = fields.Nested(OnTheSpotSchema, metadata={
        "description": "Resolved by the acceptance department at first contact (当场解决): "
                       "recorded with the answer given and closed at once"})


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
    stage_clock = fields.String(metadata={"description": "elapsed|working: which clock the "
                                                         "stage limit counts"})
    department_clock = fields.String(metadata={"description": "elapsed|working"})
    paused_since = aware_field(allow_none=True, metadata={
        "description": "The stage's clock is paused (挂起) since then; its times left "
                       "stand still"})


class WorkOrderCountsSchema(ma.Schema):
    urges = fields.Integer()
    transfers = fields.Integer()
    returns = fields.Integer(metadata={"description": "Sent back to the dispatcher"})
    audit_rejections = fields.Integer()
    supervisor_referrals = fields.Integer(metadata={"description": "Transfer cap reached"})
    reopens = fields.Integer(metadata={"description": "Reopened by a return visit"})


class WorkOrderSchema(ma.Schema):
    number = fields.String(required=True)
    status = fields.String(required=True,
                           metadata={"description": "open|closed|withdrawn|cancelled"})
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
    repeat_count = fields.Integer(metadata={"description": "Earlier orders of the customer "
                                                           "within the repeat window"})
    upgraded = fields.Boolean(metadata={"description": "An upgraded complaint (升级投诉)"})
    first_contact = fields.Boolean(metadata={"description": "Resolved on the spot at intake"})
    city = fields.String(allow_none=True, metadata={"description": "Customer's home city"})


class StageDurationSchema(ma.Schema):
    stage = fields.String()
    stage_name = fields.String()
    lane = fields.String(allow_none=True)
    department = fields.String()
    state = fields.String()
    opened_at = aware_field()
    completed_at = aware_field(allow_none=True)
    held_seconds = fields.Float(metadata={"description": "Up to now while open, net of "
                                                         "pauses"})
    paused_seconds = fields.Float(metadata={"description": "Time its clock stood still"})
    elapsed_seconds = fields.Float(metadata={"description": "Opened to closed (or now)"})
    working_seconds = fields.Float(allow_none=True, metadata={
        "description": "Its department's working time, net of pauses"})
    paused_since = aware_field(allow_none=True, metadata={"description": "Paused now"})
    limit = fields.String(allow_none=True, metadata={"description": "As it applied"})
    limit_clock = fields.String(metadata={"description": "elapsed|working (its "
                                                         "department's calendar)"})
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


class OrderDeadlineSchema(ma.Schema):
    limit = fields.String(metadata={"description": "ISO 8601, from the service level"})
    due_at = aware_field(metadata={"description": "Moved on by pauses"})
    state = fields.String(metadata={"description": "pending|paused|fired|met"})
    seconds_remaining = fields.Float(allow_none=True, metadata={
        "description": "Negative once passed; stands still while paused; none once settled"})
    paused = fields.Boolean()
    met = fields.Boolean(allow_none=True, metadata={"description": "Closed within it"})
    settled_at = aware_field(allow_none=True, metadata={
        "description": "When it passed, or when the order closed within it"})


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
    customer_profile = fields.Nested(CustomerProfileSchema, allow_none=True, metadata={
        "description": "The customer's profile (not shown to integrators)"})
    instance_id = fields.String()
    order_deadline = fields.Nested(OrderDeadlineSchema, allow_none=True, metadata={
        "description": "The order deadline (工单时限), submission to feedback"})
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
    repeat = fields.Nested(RepeatSchema)
    upgrade = fields.Nested(UpgradeSchema)


class WorkOrderPageSchema(PageSchema):
    items = fields.List(fields.Nested(WorkOrderSchema), required=True)


class WorkOrderQueryArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["open", "closed", "withdrawn",
                                                    "cancelled"]))
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


class PauseSchema(ma.Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={
        "description": "A code of data/pause_reasons.json"})
    note = fields.String(validate=validate.Length(max=2000), load_default=None)
    resume_at = UtcDateTime(format="iso", load_default=None, metadata={
        "description": "Resumes by itself then (optional)"})


class ResumeSchema(ma.Schema):
    note = fields.String(validate=validate.Length(max=2000), load_default=None)


class WithdrawSchema(ma.Schema):
    reason = _text(2000, required=True, metadata={"description": "Why the customer withdraws"})


class CancelSchema(ma.Schema):
    reason = _text(2000, required=True)
    duplicate_of = key_field(required=True, metadata={
        "description": "The work order this one duplicates"})


class EndingsDepartmentSchema(ma.Schema):
    department = fields.String(required=True)
    withdrawn = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)


class EndingsReportSchema(ma.Schema):
    from_ = aware_field(data_key="from", attribute="from", required=True)
    to = aware_field(required=True)
    withdrawn = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    departments = fields.List(fields.Nested(EndingsDepartmentSchema), required=True,
                              metadata={"description": "Per acceptance department"})


class CaseEntryInputSchema(ma.Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["note", "interim_reply", "contact"]), metadata={
        "description": "note: internal; interim_reply: told to the customer (阶段回复); "
                       "contact: a call or SMS to the customer"})
    text = fields.String(validate=validate.Length(min=1, max=4000), allow_none=True)
    outcome = fields.String(validate=validate.OneOf(["called", "not_reached", "sms_sent"]),
                            allow_none=True, metadata={"description": "A contact's"})
    at = UtcDateTime(format="iso", metadata={"description": "When it happened (default: now)"})


class CaseEntrySchema(ma.Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    text = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    at = aware_field(required=True)
    recorded_at = aware_field(required=True)
    author = fields.String(required=True)
    department = fields.String(allow_none=True)


class ContactStateSchema(ma.Schema):
    every = fields.String(allow_none=True, metadata={"description": "ISO 8601; none: no rule"})
    last_contact_at = aware_field(allow_none=True)
    due_at = aware_field(allow_none=True)
    overdue = fields.Boolean(required=True)


class CaseLogSchema(ma.Schema):
    number = fields.String(required=True)
    entries = fields.List(fields.Nested(CaseEntrySchema), required=True)
    contact = fields.Nested(ContactStateSchema, required=True)


class ContactDueSchema(ma.Schema):
    number = fields.String(required=True)
    acceptance_department = fields.String(required=True)
    last_contact_at = aware_field(allow_none=True)
    due_at = aware_field(required=True)
    overdue_seconds = fields.Float(required=True)


class AttachmentSchema(ma.Schema):
    id = fields.String(required=True)
    number = fields.String(required=True)
    task_id = fields.String(allow_none=True, metadata={"description": "The stage, if any"})
    file_name = fields.String(required=True)
    content_type = fields.String(required=True, metadata={
        "description": "As the content shows it (not the name)"})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    description = fields.String(allow_none=True)
    uploaded_by = fields.String(required=True)
    department = fields.String(allow_none=True)
    uploaded_at = aware_field(required=True)
