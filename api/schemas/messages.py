"""Messages delivered to an instance or correlated by business key."""
from __future__ import annotations

import json
from typing import Any

import marshmallow as ma
from marshmallow import fields

from .common import key_field

# A payload is stored whole: in the instance's state (the message variable), on the
# timeline, and in every answer that shows them. These bound it, whatever the diagram
# does with it; a diagram may bound it further with a schema (payloadJsonSchemaFilename).
MAX_PAYLOAD_BYTES = 16 * 1024  # as compact UTF-8 JSON
MAX_PAYLOAD_DEPTH = 20  # objects and arrays nested, the payload the first (a body: 32)
MAX_PAYLOAD_KEYS = 200  # object keys, at every level together


def payload_problem(payload: Any) -> str | None:
    """Why `payload` is too large to deliver, or None. Keys and depth are counted first
    (without building anything), the serialized size after."""
    keys = 0
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_PAYLOAD_DEPTH:
            return f"is nested deeper than {MAX_PAYLOAD_DEPTH} levels"
        if isinstance(value, dict):
            keys += len(value)
            if keys > MAX_PAYLOAD_KEYS:
                return f"has more than {MAX_PAYLOAD_KEYS} keys (at all levels together)"
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_PAYLOAD_BYTES:
        return f"is larger than {MAX_PAYLOAD_BYTES} bytes as JSON ({size} bytes)"
    return None


class Payload(fields.Dict):
    """A message payload: a JSON object within the limits above."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), metadata={"description": (
            f"A JSON object of at most {MAX_PAYLOAD_BYTES} bytes (compact UTF-8 JSON), "
            f"{MAX_PAYLOAD_KEYS} keys at all levels together and {MAX_PAYLOAD_DEPTH} levels "
            "of nesting; checked against the JSON Schema the diagram names for the "
            "message, if it names one (a 422 lists the fields under body.payload)")},
            **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        # The bounds before marshmallow copies the value key by key.
        if isinstance(value, dict) and (problem := payload_problem(value)):
            raise ma.ValidationError(problem)
        return super()._deserialize(value, attr, data, **kwargs)


class MessageSchema(ma.Schema):
    payload = Payload(load_default=dict)


class CorrelateMessageSchema(MessageSchema):
    name = key_field(required=True)
    business_key = key_field(required=True)
    process_key = key_field(load_default=None)


class MessageResultSchema(ma.Schema):
    instance_id = fields.String()
    name = fields.String()
