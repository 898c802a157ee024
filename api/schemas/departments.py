"""The department directory."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from .common import key_field


class DepartmentNamesSchema(ma.Schema):
    en = fields.String(allow_none=True)
    zh = fields.String(allow_none=True)


class DepartmentSchema(ma.Schema):
    id = fields.String(required=True, metadata={
        "description": "What <lane>_department form fields, transfers and tokens name"})
    name = fields.String(required=True)
    names = fields.Nested(DepartmentNamesSchema, required=True,
                          metadata={"description": "The name in each language"})
    roles = fields.List(fields.String(), required=True, metadata={
        "description": "The lanes it works: acceptance, processing, relaying, supervisor"})
    supervisor = fields.String(allow_none=True, metadata={
        "description": "The supervising unit told of its lapses (none: management)"})
    supervises = fields.List(fields.String(), required=True)


class DepartmentQueryArgs(ma.Schema):
    role = key_field(metadata={"description": "Only departments working this lane, e.g. "
                                              "processing (what a dispatch may choose)"})
