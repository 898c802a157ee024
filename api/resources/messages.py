"""Message correlation by business key."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_principal, requires
from ..schemas.messages import CorrelateMessageSchema, MessageResultSchema
from .common import engine, work_orders

blp = Blueprint("messages", __name__, description="Correlate messages by business key")


@blp.route("")
class Messages(MethodView):
    @requires("integrator")
    @blp.arguments(CorrelateMessageSchema)
    @blp.response(200, MessageResultSchema)
    def post(self, body):
        """Deliver a message to the one running instance with this business key; a
        payload the diagram's schema for the message refuses is a 422 listing its fields"""
        principal = current_principal()
        g.form_data_field = "body.payload"  # a payload schema's field errors
        work_orders().confinement.check_correlation(body["business_key"])
        instance_id = engine().commands.correlate_message(
            body["name"], body["business_key"], body["payload"], actor=principal.name,
            process_key=body["process_key"],
            started_by=principal.name if principal.role == "integrator" else None,
        )
        return {"instance_id": instance_id, "name": body["name"]}
