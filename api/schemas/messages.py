"""Messages delivered to an instance or correlated by business key."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .common import key_field


class MessageSchema(ma.Schema):
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class CorrelateMessageSchema(MessageSchema):
    name = key_field(required=True)
    business_key = key_field(required=True)
    process_key = key_field(load_default=None)


class MessageResultSchema(ma.Schema):
    instance_id = fields.String()
    name = fields.String()
