"""marshmallow schemas of every request and response; the OpenAPI document is built
from these. Unknown fields are refused (marshmallow's default, RAISE)."""
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
