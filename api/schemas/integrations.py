"""Webhook subscriptions, the event feed and incidents."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import PageArgs, PageSchema, aware_field, key_field

# Event ids and feed positions are 32-bit integer columns (PostgreSQL's integer):
# a larger number is refused here, not sent to the database to overflow.
MAX_ROW_NUMBER = 2**31 - 1
EVENT_NUMBER = validate.Range(min=1, max=MAX_ROW_NUMBER)


class NewSubscriptionSchema(ma.Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                        metadata={"description": "https:// endpoint that receives the events"})
    event_types = fields.List(key_field(), required=True,
                              validate=validate.Length(min=1, max=50),
                              metadata={"description": "Names from GET /events/types"})
    flow = key_field(load_default=None, metadata={"description": "Only orders of this flow"})
    acceptance_department = key_field(load_default=None)
    own_orders_only = fields.Boolean(load_default=True, metadata={
        "description": "Only orders the caller submitted (always, for an integrator)"})
    description = fields.String(load_default=None, validate=validate.Length(max=500))


class SubscriptionSchema(ma.Schema):
    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    flow = fields.String(allow_none=True)
    acceptance_department = fields.String(allow_none=True)
    own_orders_only = fields.Boolean()
    description = fields.String(allow_none=True)
    owner = fields.String()
    state = fields.String(metadata={"description": "active, or disabled after failures"})
    created_at = aware_field()
    disabled_at = aware_field(allow_none=True)
    last_success_at = aware_field(allow_none=True)
    last_failure_at = aware_field(allow_none=True)
    consecutive_failures = fields.Integer()
    last_error = fields.String(allow_none=True)
    secret = fields.String(metadata={
        "description": "Signing secret (whsec_...), in the answer to POST only"})


class SubscriptionListSchema(ma.Schema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)


class RedeliverySchema(ma.Schema):
    from_event_id = fields.Integer(required=True, validate=EVENT_NUMBER)
    to_event_id = fields.Integer(load_default=None, validate=EVENT_NUMBER)


class RequeuedSchema(ma.Schema):
    requeued = fields.Integer()


class DeliveryQueryArgs(ma.Schema):
    state = fields.String(load_default=None,
                          validate=validate.OneOf(["pending", "delivered", "dead"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class DeliverySchema(ma.Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    state = fields.String()
    attempts = fields.Integer()
    next_attempt_at = aware_field()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = aware_field(allow_none=True)


class DeliveryListSchema(ma.Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)


class EventQueryArgs(ma.Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ROW_NUMBER),
                           metadata={"description": "The last feed position you have "
                                                    "(an event's `position`, or `next_after`)"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    type = fields.List(key_field(), load_default=None,
                       metadata={"description": "Event types (repeat the parameter)"})
    flow = key_field(load_default=None)
    acceptance_department = key_field(load_default=None)


class EventSchema(ma.Schema):
    id = fields.String(metadata={"description": "The webhook-id of the same event"})
    event_id = fields.Integer()
    position = fields.Integer(metadata={"description": "Its place in the feed (commit order)"})
    type = fields.String()
    timestamp = fields.String()
    data = fields.Dict()


class EventPageSchema(ma.Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_after = fields.Integer(metadata={"description": "Pass as `after` for the next page"})
    has_more = fields.Boolean()


class EventTypeSchema(ma.Schema):
    type = fields.String()
    description = fields.String()


class EventTypeListSchema(ma.Schema):
    items = fields.List(fields.Nested(EventTypeSchema), required=True)


class IncidentQueryArgs(PageArgs):
    state = fields.String(load_default="open",
                          validate=validate.OneOf(["open", "retried", "resolved", "all"]))
    kind = fields.String(load_default=None, validate=validate.OneOf(["timer", "delivery"]))


class IncidentSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "timer or delivery"})
    subject_id = fields.String(metadata={"description": "The timer's or delivery's id"})
    instance_id = fields.String(allow_none=True)
    business_key = fields.String(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String()
    state = fields.String()
    created_at = aware_field()
    closed_at = aware_field(allow_none=True)
    closed_by = fields.String(allow_none=True)


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentSchema), required=True)

