"""Process definitions: listing, versions, starting an instance, migrating instances."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from .common import MAX_NUMBER, aware_field, key_field


class DefinitionSchema(ma.Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    versions = fields.Integer(metadata={"description": "Versions deployed under this key"})
    deployed_at = aware_field()
    content_hash = fields.String()
    start_form = fields.String(allow_none=True, metadata={"description": "Start form name"})
    start_form_schema = fields.Dict(allow_none=True,
                                    metadata={"description": "JSON Schema of `variables`"})


class DefinitionVersionArgs(ma.Schema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_NUMBER))


class VersionSchema(ma.Schema):
    """One deployed version of a process or a decision table."""

    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    versions = fields.Integer(allow_none=True,
                              metadata={"description": "Versions of the key (in lists)"})
    content_hash = fields.String()
    file_name = fields.String()
    deployed_at = aware_field()


class DefinitionVersionSchema(VersionSchema):
    running_instances = fields.Integer(metadata={"description": "Instances still on it"})


class StartRequestSchema(ma.Schema):
    business_key = key_field(required=True, metadata={
        "description": "Unique per process key, e.g. the work-order number"})
    variables = fields.Dict(keys=fields.String(), load_default=dict,
                            metadata={"description": "Checked against the start form"})
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_NUMBER),
                             metadata={"description": "Pin a version; default latest"})



class MigrationRequestSchema(ma.Schema):
    to_version = fields.Integer(load_default=None,
                                validate=validate.Range(min=1, max=MAX_NUMBER),
                                metadata={"description": "Default: the newest version"})
    instance_ids = fields.List(key_field(), validate=validate.Length(min=1, max=500),
                               load_default=None)
    from_version = fields.Integer(load_default=None,
                                  validate=validate.Range(min=1, max=MAX_NUMBER),
                                  metadata={"description": "Every running instance of it"})
    dry_run = fields.Boolean(load_default=False)

    @ma.validates_schema
    def one_selection(self, data, **kwargs):
        if (data["instance_ids"] is None) == (data["from_version"] is None):
            raise ma.ValidationError("give either instance_ids or from_version",
                                     "instance_ids")


class MigrationReportSchema(ma.Schema):
    instance_id = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    migrated = fields.Boolean()
    mapped_tasks = fields.List(fields.String(), metadata={"description": "Open stages kept"})
    dropped_tasks = fields.List(fields.String())
    refusals = fields.List(fields.String(), metadata={"description": "Why it did not move"})


class MigrationResultSchema(ma.Schema):
    dry_run = fields.Boolean()
    instances = fields.List(fields.Nested(MigrationReportSchema))
