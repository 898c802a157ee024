"""The event feed: the same messages as the webhooks, pulled. An integrator reads the
events of the orders it submitted; managers and administrators read all."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.integrations.catalogue import CATALOGUE
from engine.integrations.events import EventFilter

from ..auth import current_principal, requires
from ..schemas.integrations import EventPageSchema, EventQueryArgs, EventTypeListSchema
from .subscriptions import integrations

blp = Blueprint("events", __name__, description="Order events feed, oldest first")


@blp.route("")
class Events(MethodView):
    @requires("integrator", "manager")
    @blp.arguments(EventQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, EventPageSchema)
    def get(self, args):
        """Events after feed position `after`, in commit order; go on with `next_after`"""
        principal = current_principal()
        where = EventFilter(
            types=tuple(args["type"]) if args["type"] else None, flow=args["flow"],
            acceptance_department=args["acceptance_department"],
            submitted_by=principal.name if principal.role == "integrator" else None)
        items, more = integrations().events(where, args["after"], args["limit"])
        next_after = items[-1]["position"] if items else args["after"]
        return {"items": items, "next_after": next_after, "has_more": more}


@blp.route("/types")
class EventTypes(MethodView):
    @requires("integrator", "manager")
    @blp.response(200, EventTypeListSchema)
    def get(self):
        """The event catalogue: every type a subscription may name"""
        return {"items": [{"type": name, "description": text}
                          for name, text in CATALOGUE.items()]}
