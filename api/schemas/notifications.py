"""Notifications of departments and management."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .common import Key, PageArgs, PageSchema, aware_field, key_field


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
    created_at = aware_field()
    read_at = aware_field(allow_none=True)
    read_by = fields.String(allow_none=True)


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)


class NotificationQueryArgs(PageArgs):
    unread = fields.Boolean()
    event = key_field()
    business_key = Key


class MarkedReadSchema(ma.Schema):
    marked = fields.Integer(metadata={"description": "Notifications that became read"})
