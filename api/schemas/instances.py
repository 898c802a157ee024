"""Process instances: their state, timers and timeline."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import Key, PageArgs, PageSchema, aware_field
from .tasks import TaskSchema


class TimerSchema(ma.Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "stage|department|other"})
    stage = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    due_at = aware_field()
    state = fields.String()


class InstanceSchema(ma.Schema):
    id = fields.String(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    business_key = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running|completed"})
    started_by = fields.String(allow_none=True)
    started_at = aware_field()
    updated_at = aware_field()
    ended_at = aware_field(allow_none=True)


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
    at = aware_field()
    detail = fields.Dict()
    request_id = fields.String(allow_none=True, metadata={
        "description": "The X-Request-Id of the request that caused it (none: a worker)"})


class TimelineSchema(ma.Schema):
    instance_id = fields.String()
    events = fields.List(fields.Nested(TimelineEventSchema))
