"""Process definitions: what can be started, and starting it."""
from __future__ import annotations

from flask import Response, g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from sqlalchemy import exists, func, select

from engine.store.models import HumanTask, ProcessInstance

from ..auth import current_principal, requires
from ..presenters import definition_view, instance_detail_view
from ..schemas.definitions import (
    DefinitionSchema,
    DefinitionVersionArgs,
    DefinitionVersionSchema,
    MigrationRequestSchema,
    MigrationResultSchema,
    StartRequestSchema,
)
from ..schemas.instances import InstanceDetailSchema
from .common import (
    IDEMPOTENCY_KEY_DOC,
    engine,
    idempotency_key,
    own_department,
    work_orders,
)

blp = Blueprint("process-definitions", __name__,
                description="Deployed process definitions; starting instances")
READERS = ("integrator", "designer", "manager")


@blp.route("")
class Definitions(MethodView):
    @requires(*READERS)
    @blp.response(200, DefinitionSchema(many=True))
    def get(self):
        """List process definitions (newest version of each key)"""
        return [definition_view(d, engine(), versions)
                for d, versions in engine().catalog.definitions()]


@blp.route("/<string:key>")
class Definition(MethodView):
    @requires(*READERS)
    @blp.arguments(DefinitionVersionArgs, location="query", unknown=RAISE)
    @blp.response(200, DefinitionSchema)
    def get(self, args, key):
        """One process definition (newest version unless `version` is given)"""
        return definition_view(engine().catalog.definition(key, args["version"]), engine())


@blp.route("/<string:key>/versions")
class Versions(MethodView):
    @requires(*READERS)
    @blp.response(200, DefinitionVersionSchema(many=True))
    def get(self, key):
        """Every deployed version of a process, newest first, with its running instances
        (those the caller may see: an integrator's own, a department's where it holds
        or held a stage; all of them for designers, managers and administrators)"""
        running = _running_instances_seen(key)
        return [{"key": d.key, "version": d.version, "name": d.name,
                 "content_hash": d.content_hash, "file_name": d.file_name,
                 "deployed_at": d.deployed_at, "running_instances": running.get(d.version, 0)}
                for d in engine().catalog.versions("process", key)]


def _running_instances_seen(key: str) -> dict[int, int]:
    """Running instances of `key` per version, counting only what the caller could
    open. (The scoped count is asked here, in one query, because Catalog's own
    count has no scope; it belongs beside it in engine/runtime/catalog.py.)"""
    principal = current_principal()
    own = own_department()
    if principal.role != "integrator" and own is None:
        return engine().catalog.running_instances_by_version(key)
    query = (select(ProcessInstance.definition_version, func.count())
             .where(ProcessInstance.definition_key == key,
                    ProcessInstance.status == "running")
             .group_by(ProcessInstance.definition_version))
    if principal.role == "integrator":
        query = query.where(ProcessInstance.started_by == principal.name)
    if own is not None:
        query = query.where(exists().where(HumanTask.instance_id == ProcessInstance.id,
                                           HumanTask.department == own))
    with engine().reading() as session:
        return {version: count for version, count in session.execute(query).all()}


@blp.route("/<string:key>/versions/<int:version>/bpmn")
class VersionXml(MethodView):
    @requires(*READERS)
    @blp.response(200, {"type": "string"}, description="The BPMN XML as deployed",
                  content_type="application/xml")
    def get(self, key, version):
        """The BPMN of one version"""
        definition = engine().catalog.definition(key, version)
        return Response(definition.bpmn_xml, mimetype="application/xml")


@blp.route("/<string:key>/migrations")
class Migrations(MethodView):
    @requires("designer")
    @blp.arguments(MigrationRequestSchema)
    @blp.response(200, MigrationResultSchema)
    def post(self, body, key):
        """Move running instances (by id, or all of a version) onto a newer version.
        Each instance reports the open stages it keeps, and why it did not move if it
        did not; pending timers keep their due times. `dry_run` only reports."""
        instances = engine().migrator.migrate(
            key, to_version=body["to_version"], instance_ids=body["instance_ids"],
            from_version=body["from_version"], dry_run=body["dry_run"],
            actor=current_principal().name)
        return {"dry_run": body["dry_run"], "instances": instances}


@blp.route("/<string:key>/start")
class Start(MethodView):
    @requires("integrator")
    @blp.arguments(StartRequestSchema)
    @blp.response(201, InstanceDetailSchema,
                  description="Started (200 when an identical earlier start is returned)")
    @blp.alt_response(200, schema=InstanceDetailSchema, description="Retried start")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_DOC])
    def post(self, body, key):
        """Start an instance by process key with a business key

        For processes that are not work orders (designers' test processes, integration
        flows): a flow the routing table sends complaints to, or a business key shaped
        like a work-order number, is refused (403). Work orders start through intake,
        `POST /api/v1/work-orders`."""
        g.form_data_field = "variables"
        work_orders().confinement.check_start(key, body["business_key"])
        result = engine().starter.start(
            key, body["business_key"], body["variables"], version=body["version"],
            actor=current_principal().name, idempotency_key=idempotency_key(),
        )
        instance = engine().reads.get_instance(result.instance_id)
        location = url_for("process-instances.Instance", instance_id=instance.id)
        status = 201 if result.created else 200
        return instance_detail_view(instance, engine()), status, {"Location": location}
