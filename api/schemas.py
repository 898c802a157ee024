"""marshmallow schemas of every request and response; the OpenAPI document is built
from these. Unknown fields are refused (marshmallow's default, RAISE)."""
from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from engine.reports import GROUPINGS
from engine.reports.at_risk import SORTS
from engine.reports.window import WindowInvalid, parse_moment


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 instant with a zone, normalised to UTC; one too close to the ends of
    the calendar to convert is a field error, not a crash."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ma.ValidationError("is out of range") from None


def _key(**kwargs) -> fields.String:
    """An identifier or business key: 1-200 characters (NUL is refused by api/guards.py)."""
    return fields.String(validate=validate.Length(min=1, max=200), **kwargs)


Key = _key()
# Upper bound for page and version numbers: far beyond real use, well inside a 64-bit column.
MAX_NUMBER = 1_000_000


def _aware(**kwargs) -> fields.AwareDateTime:
    return fields.AwareDateTime(format="iso", default_timezone=UTC, **kwargs)


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_NUMBER))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageSchema(ma.Schema):
    total = fields.Integer(required=True, metadata={"description": "Items matching in all"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)


# ---------------------------------------------------------------- definitions

class DefinitionSchema(ma.Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    versions = fields.Integer(metadata={"description": "Versions deployed under this key"})
    deployed_at = _aware()
    content_hash = fields.String()
    start_form = fields.String(allow_none=True, metadata={"description": "Start form name"})
    start_form_schema = fields.Dict(allow_none=True,
                                    metadata={"description": "JSON Schema of `variables`"})


class DefinitionVersionArgs(ma.Schema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_NUMBER))


class VersionSchema(ma.Schema):
    """One deployed version of a process or a decision table."""

    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    versions = fields.Integer(allow_none=True,
                              metadata={"description": "Versions of the key (in lists)"})
    content_hash = fields.String()
    file_name = fields.String()
    deployed_at = _aware()


class DefinitionVersionSchema(VersionSchema):
    running_instances = fields.Integer(metadata={"description": "Instances still on it"})


class StartRequestSchema(ma.Schema):
    business_key = _key(required=True, metadata={"description": "Unique per process key, "
                                                                "e.g. the work-order number"})
    variables = fields.Dict(keys=fields.String(), load_default=dict,
                            metadata={"description": "Checked against the start form"})
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_NUMBER),
                             metadata={"description": "Pin a version; default latest"})


# ------------------------------------------------------ deployments, decisions

class DeploymentArgs(ma.Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Validate only; store nothing"})


class DeployedSchema(ma.Schema):
    kind = fields.String(metadata={"description": "process|decision"})
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean(metadata={"description": "False: content already deployed"})


class DeploymentSchema(ma.Schema):
    dry_run = fields.Boolean()
    deployed = fields.List(fields.Nested(DeployedSchema))


class MigrationRequestSchema(ma.Schema):
    to_version = fields.Integer(load_default=None,
                                validate=validate.Range(min=1, max=MAX_NUMBER),
                                metadata={"description": "Default: the newest version"})
    instance_ids = fields.List(_key(), validate=validate.Length(min=1, max=500),
                               load_default=None)
    from_version = fields.Integer(load_default=None,
                                  validate=validate.Range(min=1, max=MAX_NUMBER),
                                  metadata={"description": "Every running instance of it"})
    dry_run = fields.Boolean(load_default=False)

    @ma.validates_schema
    def one_selection(self, data, **kwargs):
        if (data["instance_ids"] is None) == (data["from_version"] is None):
            raise ma.ValidationError("give either instance_ids or from_version",
                                     "instance_ids")


class MigrationReportSchema(ma.Schema):
    instance_id = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    migrated = fields.Boolean()
    mapped_tasks = fields.List(fields.String(), metadata={"description": "Open stages kept"})
    dropped_tasks = fields.List(fields.String())
    refusals = fields.List(fields.String(), metadata={"description": "Why it did not move"})


class MigrationResultSchema(ma.Schema):
    dry_run = fields.Boolean()
    instances = fields.List(fields.Nested(MigrationReportSchema))


class DecisionInputSchema(ma.Schema):
    inputs = fields.Dict(keys=fields.String(), required=True)


class DecisionResultSchema(ma.Schema):
    key = fields.String()
    outputs = fields.Dict()


# ------------------------------------------------------------------ tasks

class TaskSchema(ma.Schema):
    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    process_key = fields.String(required=True)
    business_key = fields.String(required=True)
    stage = fields.String(required=True, metadata={"description": "Element id of the stage"})
    stage_name = fields.String(required=True)
    lane = fields.String(allow_none=True)
    department = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "open|completed|cancelled"})
    assignee = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    form_schema = fields.Dict(allow_none=True, metadata={"description": "JSON Schema"})
    instructions = fields.String(allow_none=True)
    stage_limit = fields.String(allow_none=True, metadata={"description": "ISO 8601 duration"})
    created_at = _aware()
    due_at = _aware(allow_none=True)
    seconds_remaining = fields.Float(allow_none=True,
                                     metadata={"description": "Negative when overdue"})
    overdue = fields.Boolean()
    completed_at = _aware(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema), required=True)


class TaskQueryArgs(PageArgs):
    department = Key
    assignee = Key
    unassigned = fields.Boolean()
    overdue = fields.Boolean()
    due_before = UtcDateTime(format="iso")
    business_key = Key
    process_key = Key
    state = fields.String(load_default="open",
                          validate=validate.OneOf(["open", "completed", "cancelled"]))


class CompleteTaskSchema(ma.Schema):
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "Form data, checked against form_schema"})


# -------------------------------------------------------------- instances

class TimerSchema(ma.Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "stage|department|other"})
    stage = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    due_at = _aware()
    state = fields.String()


class InstanceSchema(ma.Schema):
    id = fields.String(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    business_key = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running|completed"})
    started_by = fields.String(allow_none=True)
    started_at = _aware()
    updated_at = _aware()
    ended_at = _aware(allow_none=True)


class InstanceDetailSchema(InstanceSchema):
    open_tasks = fields.List(fields.Nested(TaskSchema))
    pending_timers = fields.List(fields.Nested(TimerSchema))
    variables = fields.Dict()


class InstancePageSchema(PageSchema):
    items = fields.List(fields.Nested(InstanceSchema), required=True)


class InstanceQueryArgs(PageArgs):
    business_key = Key
    process_key = Key
    status = fields.String(validate=validate.OneOf(["running", "completed"]))


class TimelineEventSchema(ma.Schema):
    id = fields.Integer()
    type = fields.String()
    stage = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    at = _aware()
    detail = fields.Dict()


class TimelineSchema(ma.Schema):
    instance_id = fields.String()
    events = fields.List(fields.Nested(TimelineEventSchema))


# --------------------------------------------------------------- messages

class MessageSchema(ma.Schema):
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class CorrelateMessageSchema(MessageSchema):
    name = _key(required=True)
    business_key = _key(required=True)
    process_key = _key(load_default=None)


class MessageResultSchema(ma.Schema):
    instance_id = fields.String()
    name = fields.String()


# ----------------------------------------------------------------- errors

class ProblemSchema(ma.Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.List(fields.Dict())


# ------------------------------------------------------------- categories

class CategoryTreeSchema(ma.Schema):
    catalogue = fields.Dict(data_key="fields", attribute="fields",
                            metadata={"description": "Key-information fields (JSON Schemas)"})
    businesses = fields.List(fields.Dict(), metadata={
        "description": "business > phenomena > causes; a cause lists its key_fields"})
    leaves = fields.Integer(metadata={"description": "Categories an order can have"})


# ------------------------------------------------------------ work orders

def _text(max_length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class WorkOrderSubmissionSchema(ma.Schema):
    """A complaint. Formats, allowed values and lengths are the start form's
    (submit.json) and the category's key fields' (GET /categories); the bounds here are
    only what the columns hold. Every invalid field is listed."""

    customer_phone = _text(20, required=True, metadata={"description": "11-digit mobile"})
    category = _key(required=True, metadata={"description": "business/phenomenon/cause"})
    content = _text(100_000, required=True, metadata={"description": "Up to 4000 "
                                                                       "characters"})
    channel = _text(50, required=True,
                    metadata={"description": "hotline, business_hall, web, sms, ..."})
    acceptance_department = _key(metadata={
        "description": "Required from integrators; a department submits as itself"})
    customer_tier = _text(20, metadata={"description": "ordinary (default), vip, special_care"})
    customer_note = fields.String(validate=validate.Length(max=2000),
                                  metadata={"description": "Profile and handling guidance"})
    urgency = _text(20, metadata={"description": "urgent, normal (default), suggestion"})
    key_fields = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=100)),
                             load_default=dict,
                             metadata={"description": "What the category's template asks"})
    external_reference = _key(metadata={
        "description": "Your own id for it; submitting it again returns the same order"})


class OpenStageSchema(ma.Schema):
    task_id = fields.String()
    stage = fields.String()
    stage_name = fields.String()
    department = fields.String()
    assignee = fields.String(allow_none=True)
    opened_at = _aware()
    stage_limit = fields.String(allow_none=True, metadata={"description": "ISO 8601"})
    due_at = _aware(allow_none=True)
    seconds_remaining = fields.Float(allow_none=True,
                                     metadata={"description": "Negative when overdue"})
    overdue = fields.Boolean()
    department_limit = fields.String(allow_none=True,
                                     metadata={"description": "The department's total"})
    department_due_at = _aware(allow_none=True)
    department_seconds_remaining = fields.Float(allow_none=True)


class WorkOrderCountsSchema(ma.Schema):
    urges = fields.Integer()
    transfers = fields.Integer()
    returns = fields.Integer(metadata={"description": "Sent back to the dispatcher"})
    audit_rejections = fields.Integer()
    supervisor_referrals = fields.Integer(metadata={"description": "Transfer cap reached"})


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
    submitted_at = _aware()
    closed_at = _aware(allow_none=True)
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
    opened_at = _aware()
    completed_at = _aware(allow_none=True)
    held_seconds = fields.Float(metadata={"description": "Up to now while open"})
    limit = fields.String(allow_none=True, metadata={"description": "As it applied"})
    due_at = _aware(allow_none=True)
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


class WorkOrderDetailSchema(WorkOrderSchema):
    instance_id = fields.String()
    category_names = fields.List(fields.String())
    content = fields.String()
    customer_note = fields.String(allow_none=True)
    key_fields = fields.Dict()
    external_reference = fields.String(allow_none=True)
    counts = fields.Nested(WorkOrderCountsSchema)
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
    department = _key(metadata={"description": "Holds an open stage now"})
    acceptance_department = Key
    category = _key(metadata={"description": "A category or a prefix: network, "
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
    to_department = _key(required=True)
    reason = _text(2000, required=True)


class SendBackSchema(ma.Schema):
    reason = _text(2000, required=True)


class AuditSchema(ma.Schema):
    approved = fields.Boolean(required=True)
    reason = _text(2000, load_default=None, metadata={"description": "Required to reject"})


# ----------------------------------------------------------- notifications

class NotificationSchema(ma.Schema):
    id = fields.Integer()
    recipient = fields.String(metadata={"description": "A department id, or management"})
    event = fields.String(metadata={"description": "urged, transferred, warning, breach, ..."})
    business_key = fields.String(metadata={"description": "The work-order number"})
    instance_id = fields.String()
    stage = fields.String(allow_none=True)
    department = fields.String(allow_none=True, metadata={"description": "Concerned"})
    message = fields.String()
    detail = fields.Dict()
    created_at = _aware()
    read_at = _aware(allow_none=True)
    read_by = fields.String(allow_none=True)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)


class NotificationQueryArgs(PageArgs):
    unread = fields.Boolean()
    event = _key()
    business_key = Key


class MarkedReadSchema(ma.Schema):
    marked = fields.Integer(metadata={"description": "Notifications that became read"})


# ---------------------------------------------------------------- reports

class ReportMoment(fields.Field):
    """An ISO 8601 instant with a zone, or a date meaning its midnight in the reports'
    time zone (data/settings.json)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ma.ValidationError("is not a date (YYYY-MM-DD) or an ISO 8601 time")
        try:
            return parse_moment(value)
        except WindowInvalid as err:
            raise ma.ValidationError(str(err)) from None


class ReportFormatArgs(ma.Schema):
    format = fields.String(load_default=None, validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv, or send Accept: text/csv"})


class ReportWindowArgs(ReportFormatArgs):
    from_ = ReportMoment(data_key="from", load_default=None,
                         metadata={"description": "Start (default: 30 days before `to`)"})
    to = ReportMoment(load_default=None, metadata={"description": "End, exclusive "
                                                                  "(default: just after now)"})


class TimelinessArgs(ReportWindowArgs):
    group_by = fields.String(load_default="department", validate=validate.OneOf(GROUPINGS))


class TimelinessGroupSchema(ma.Schema):
    group = fields.String()
    name = fields.String()
    orders = fields.Integer(metadata={"description": "Orders with a stage counted here"})
    stages_completed = fields.Integer()
    on_time = fields.Integer(metadata={"description": "Completed within their limit"})
    breached = fields.Integer(metadata={"description": "Completed after their limit"})
    without_limit = fields.Integer()
    on_time_rate = fields.Float(allow_none=True,
                                metadata={"description": "on_time / (on_time + breached)"})
    open = fields.Integer(metadata={"description": "Open now, opened before `to`"})
    open_overdue = fields.Integer()
    duration_p50 = fields.Float(allow_none=True, metadata={"description": "Seconds"})
    duration_p90 = fields.Float(allow_none=True)
    duration_p95 = fields.Float(allow_none=True)
    urges_per_order = fields.Float(allow_none=True)
    transfers_per_order = fields.Float(allow_none=True)


class TimelinessReportSchema(ma.Schema):
    from_ = _aware(data_key="from", attribute="from")
    to = _aware()
    group_by = fields.String()
    groups = fields.List(fields.Nested(TimelinessGroupSchema))
    total = fields.Nested(TimelinessGroupSchema)


class DailyPointSchema(ma.Schema):
    day = fields.Date()
    on_time_rate = fields.Float(allow_none=True)
    completed = fields.Integer(metadata={"description": "Stages completed with a limit"})


class DailyOnTimeSchema(ma.Schema):
    from_ = _aware(data_key="from", attribute="from")
    to = _aware()
    time_zone = fields.String()
    departments = fields.Dict(keys=fields.String(),
                              values=fields.List(fields.Nested(DailyPointSchema)))


class DailyOnTimeArgs(ReportWindowArgs):
    format = fields.String(load_default=None,
                           validate=validate.OneOf(["json", "csv", "svg"]),
                           metadata={"description": "svg: the chart (or Accept: "
                                                    "image/svg+xml)"})


class AtRiskArgs(PageArgs, ReportFormatArgs):
    threshold = fields.Float(load_default=None, validate=validate.Range(min=1, max=10_000),
                             metadata={"description": "% of the limit used (default: the "
                                                      "ladder's first rung)"})
    department = Key
    status = fields.String(validate=validate.OneOf(["at_risk", "breached"]))
    sort = fields.String(load_default="due_at", validate=validate.OneOf(SORTS))


class AtRiskSchema(ma.Schema):
    business_key = fields.String()
    instance_id = fields.String()
    task_id = fields.String()
    flow = fields.String()
    stage = fields.String()
    stage_name = fields.String()
    department = fields.String()
    assignee = fields.String(allow_none=True)
    opened_at = _aware()
    stage_limit = fields.String(allow_none=True)
    due_at = _aware()
    percent_used = fields.Float()
    seconds_left = fields.Float(metadata={"description": "Negative: time over"})
    status = fields.String(metadata={"description": "at_risk|breached"})


class AtRiskPageSchema(PageSchema):
    threshold = fields.Float()
    items = fields.List(fields.Nested(AtRiskSchema), required=True)


class KpiArgs(ReportFormatArgs):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2200))
    month = fields.Integer(load_default=None, validate=validate.Range(min=1, max=12))


class KpiMonthSchema(ma.Schema):
    month = fields.String()
    liable_complaints = fields.Integer()
    deduction = fields.Float()
    formula = fields.String()


class KpiYearSchema(ma.Schema):
    liable_complaints = fields.Integer(metadata={"description": "Cumulative"})
    monthly_deductions = fields.Float(metadata={"description": "Sum of the months"})
    branch = fields.String(metadata={"description": "within_ceiling|above_ceiling|capped"})
    deduction = fields.Float()
    formula = fields.String()
    months = fields.List(fields.Nested(KpiMonthSchema))


class KpiDepartmentSchema(ma.Schema):
    department = fields.String()
    name = fields.String()
    deduction_value = fields.Float()
    ceiling = fields.Integer()
    month = fields.Nested(KpiMonthSchema, allow_none=True)
    year = fields.Nested(KpiYearSchema)


class KpiReportSchema(ma.Schema):
    year = fields.Integer()
    month = fields.Integer(allow_none=True)
    through = fields.String()
    time_zone = fields.String()
    liable_events = fields.List(fields.String())
    departments = fields.List(fields.Nested(KpiDepartmentSchema))


class HotspotAlertSchema(ma.Schema):
    id = fields.Integer()
    rule = fields.String()
    key = fields.String(metadata={"description": "The category, or the rule's name"})
    window_start = _aware()
    window = fields.String()
    threshold = fields.Integer()
    count = fields.Integer()
    department = fields.String(metadata={"description": "Told of it"})
    raised_at = _aware()
    business_key = fields.String(metadata={"description": "The order that tipped it"})


class BurstSchema(ma.Schema):
    rule = fields.String()
    key = fields.String()
    count = fields.Integer()
    threshold = fields.Integer()
    window = fields.String()


class HotspotReportSchema(ma.Schema):
    from_ = _aware(data_key="from", attribute="from")
    to = _aware()
    alerts = fields.List(fields.Nested(HotspotAlertSchema))
    current = fields.List(fields.Nested(BurstSchema),
                          metadata={"description": "Past a threshold right now"})
