"""Decision tables: evaluation (their versions use definitions.VersionSchema)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class DecisionInputSchema(ma.Schema):
    inputs = fields.Dict(keys=fields.String(), required=True)


class DecisionResultSchema(ma.Schema):
    key = fields.String()
    outputs = fields.Dict()
