"""Process instances: follow an order, read its timeline, send it a message."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.store.queries import InstanceFilter

from ..auth import current_principal, requires
from ..presenters import instance_detail_view, instance_view, page_view, timeline_view
from ..schemas.instances import (
    InstanceDetailSchema,
    InstancePageSchema,
    InstanceQueryArgs,
    TimelineSchema,
)
from ..schemas.messages import MessageResultSchema, MessageSchema
from .common import engine, visible_instance, work_orders

blp = Blueprint("process-instances", __name__, description="Running and finished instances")


@blp.route("")
class Instances(MethodView):
    @requires("integrator", "manager")
    @blp.arguments(InstanceQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, InstancePageSchema)
    def get(self, args):
        """List instances (integrators see the ones they started)"""
        principal = current_principal()
        where = InstanceFilter(
            business_key=args.get("business_key"),
            process_key=args.get("process_key"),
            status=args.get("status"),
            started_by=principal.name if principal.role == "integrator" else None,
        )
        return page_view(engine().reads.search_instances(where, args["page"], args["per_page"]),
                         instance_view)


@blp.route("/<string:instance_id>")
class Instance(MethodView):
    @requires("integrator", "department", "manager")
    @blp.response(200, InstanceDetailSchema)
    def get(self, instance_id):
        """One instance: status, version, open tasks with due times, timers, variables"""
        return instance_detail_view(visible_instance(instance_id), engine())


@blp.route("/<string:instance_id>/timeline")
class Timeline(MethodView):
    @requires("integrator", "department", "manager")
    @blp.response(200, TimelineSchema)
    def get(self, instance_id):
        """Everything that happened to the instance, oldest first"""
        instance = visible_instance(instance_id)
        return timeline_view(instance.id, engine().reads.timeline(instance.id))


@blp.route("/<string:instance_id>/messages/<string:name>")
class InstanceMessage(MethodView):
    @requires("integrator")
    @blp.arguments(MessageSchema)
    @blp.response(200, MessageResultSchema)
    def post(self, body, instance_id, name):
        """Deliver a message to an instance waiting for it (409 if it is not); a payload
        the diagram's schema for the message refuses is a 422 listing its fields"""
        instance = visible_instance(instance_id)
        work_orders().confinement.check_message(instance.id)
        g.form_data_field = "body.payload"  # a payload schema's field errors
        engine().commands.deliver_message(instance.id, name, body["payload"],
                                 actor=current_principal().name)
        return {"instance_id": instance.id, "name": name}
