"""Incidents: timers and webhook deliveries that failed too often and are no longer
retried on their own. Managers read them; administrators retry or resolve them."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..auth import current_principal, requires
from ..presenters import page_view
from ..schemas.integrations import IncidentPageSchema, IncidentQueryArgs, IncidentSchema
from .common import engine

blp = Blueprint("incidents", __name__, description="Failed timers and deliveries")


@blp.route("")
class Incidents(MethodView):
    @requires("manager")
    @blp.arguments(IncidentQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, IncidentPageSchema)
    def get(self, args):
        """Incidents, newest first (`state=open` by default; `all` for every one)"""
        state = None if args["state"] == "all" else args["state"]
        page = engine().incidents.search(state, args["kind"], args["page"], args["per_page"])
        return page_view(page, lambda incident: incident)


@blp.route("/<int:incident_id>")
class OneIncident(MethodView):
    @requires("manager")
    @blp.response(200, IncidentSchema)
    def get(self, incident_id):
        """One incident"""
        return engine().incidents.get(incident_id)


@blp.route("/<int:incident_id>/retry")
class Retry(MethodView):
    @requires("admin")
    @blp.response(200, IncidentSchema)
    def post(self, incident_id):
        """Put the failed timer or delivery back in the queue, attempts counted afresh"""
        return engine().incidents.retry(incident_id, current_principal().name)


@blp.route("/<int:incident_id>/resolve")
class Resolve(MethodView):
    @requires("admin")
    @blp.response(200, IncidentSchema)
    def post(self, incident_id):
        """Acknowledge the incident; the timer or delivery is left as it is"""
        return engine().incidents.resolve(incident_id, current_principal().name)
