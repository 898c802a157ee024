"""A code list."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class CodeSchema(ma.Schema):
    code = fields.String()
    name = fields.String()


class CodeListSchema(ma.Schema):
    name = fields.String()
    codes = fields.List(fields.Nested(CodeSchema))
