"""User tasks: the inbox, claiming and completing."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import Key, PageArgs, PageSchema, UtcDateTime, aware_field, key_field


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
    stage_clock = fields.String(metadata={"description": "elapsed|working"})
    paused_since = aware_field(allow_none=True, metadata={"description": "Paused (挂起) since"})
    created_at = aware_field()
    due_at = aware_field(allow_none=True)
    seconds_remaining = fields.Float(allow_none=True,
                                     metadata={"description": "Negative when overdue"})
    overdue = fields.Boolean()
    completed_at = aware_field(allow_none=True)
    completed_by = fields.String(allow_none=True)


class CompletionSchema(TaskSchema):
    next_tasks = fields.List(fields.Nested(TaskSchema), required=True, metadata={
        "description": "The stages of the instance open after this completion (any "
                       "department's), soonest opened first: a client goes on from here "
                       "without reading the inbox"})


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema), required=True)


class TaskQueryArgs(PageArgs):
    department = Key
    assignee = Key
    unassigned = fields.Boolean()
    mine = fields.Boolean(metadata={
        "description": "true: the caller's own stages; with unassigned=true also the "
                       "department's stages nobody has (a handler's inbox)"})
    overdue = fields.Boolean()
    due_before = UtcDateTime(format="iso")
    business_key = Key
    process_key = Key
    state = fields.String(load_default="open",
                          validate=validate.OneOf(["open", "completed", "cancelled"]))


class CompleteTaskSchema(ma.Schema):
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "Form data, checked against form_schema"})
    next_assignee = key_field(metadata={
        "description": "A staff id (GET /api/v1/staff): the handler who takes the stage "
                       "this completion opens in their department (a dispatch to a named "
                       "handler)"})


class AssignSchema(ma.Schema):
    staff_id = key_field(required=True, metadata={
        "description": "A handler of the stage's department (GET /api/v1/staff?department=)"})
