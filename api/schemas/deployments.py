"""Deployments of diagrams, decision tables and forms."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class DeploymentArgs(ma.Schema):
    dry_run = fields.Boolean(load_default=False,
                             metadata={"description": "Validate only; store nothing"})


class DeployedSchema(ma.Schema):
    kind = fields.String(metadata={"description": "process|decision"})
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean(metadata={"description": "False: content already deployed"})


class DeploymentSchema(ma.Schema):
    dry_run = fields.Boolean()
    deployed = fields.List(fields.Nested(DeployedSchema))
