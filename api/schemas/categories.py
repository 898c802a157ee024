"""The category tree."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class CategoryTreeSchema(ma.Schema):
    catalogue = fields.Dict(data_key="fields", attribute="fields",
                            metadata={"description": "Key-information fields (JSON Schemas)"})
    businesses = fields.List(fields.Dict(), metadata={
        "description": "business > phenomena > causes [> children ...]; a leaf "
                       "lists its key_fields"})
    leaves = fields.Integer(metadata={"description": "Categories an order can have"})
