"""Webhook subscriptions (integrators and administrators): an endpoint, the event types
it wants, an optional filter; the signing secret is shown once, in the answer to POST."""
from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.integrations.models import Subscription
from engine.integrations.service import Integrations
from engine.integrations.subscriptions import Caller, NewSubscription

from ..auth import current_principal, requires
from ..schemas.integrations import (
    DeliveryListSchema,
    DeliveryQueryArgs,
    NewSubscriptionSchema,
    RedeliverySchema,
    RequeuedSchema,
    SubscriptionListSchema,
    SubscriptionSchema,
)

blp = Blueprint("subscriptions", __name__,
                description="Webhook subscriptions: order events pushed, signed per "
                            "Standard Webhooks")


def integrations() -> Integrations:
    return current_app.extensions["integrations"]


def caller() -> Caller:
    principal = current_principal()
    return Caller(principal.name, principal.role)


def subscription_view(subscription: Subscription, secret: str | None = None) -> dict[str, Any]:
    view = {name: getattr(subscription, name) for name in (
        "id", "url", "event_types", "flow", "acceptance_department", "own_orders_only",
        "description", "owner", "state", "created_at", "disabled_at", "last_success_at",
        "last_failure_at", "consecutive_failures", "last_error")}
    if secret is not None:
        view["secret"] = secret
    return view


@blp.route("")
class Subscriptions(MethodView):
    @requires("integrator")
    @blp.arguments(NewSubscriptionSchema, unknown=RAISE)
    @blp.response(201, SubscriptionSchema)
    def post(self, body):
        """Subscribe an endpoint; the answer holds the signing secret, shown only now"""
        g.form_data_field = "body"
        subscription, secret = integrations().subscribe(NewSubscription(
            url=body["url"], event_types=tuple(body["event_types"]), flow=body["flow"],
            acceptance_department=body["acceptance_department"],
            own_orders_only=body["own_orders_only"], description=body["description"]),
            caller())
        return subscription_view(subscription, secret)

    @requires("integrator")
    @blp.response(200, SubscriptionListSchema)
    def get(self):
        """Your subscriptions (an administrator's: all) with their health"""
        return {"items": [subscription_view(s) for s in integrations().subscriptions(caller())]}


@blp.route("/<subscription_id>")
class OneSubscription(MethodView):
    @requires("integrator")
    @blp.response(200, SubscriptionSchema)
    def get(self, subscription_id):
        """One subscription and its health"""
        return subscription_view(integrations().subscription(subscription_id, caller()))

    @requires("integrator")
    @blp.response(204)
    def delete(self, subscription_id):
        """Unsubscribe: nothing more is sent, what was pending is dropped"""
        integrations().unsubscribe(subscription_id, caller())


@blp.route("/<subscription_id>/enable")
class Enable(MethodView):
    @requires("integrator")
    @blp.response(200, SubscriptionSchema)
    def post(self, subscription_id):
        """Deliver again to a subscription disabled after failures"""
        return subscription_view(integrations().enable(subscription_id, caller()))


@blp.route("/<subscription_id>/redeliver")
class Redeliver(MethodView):
    @requires("integrator")
    @blp.arguments(RedeliverySchema, unknown=RAISE)
    @blp.response(200, RequeuedSchema)
    def post(self, body, subscription_id):
        """Send events again: one (`from_event_id`) or a range (to `to_event_id`), the
        dead letter included"""
        g.form_data_field = "body"
        first = body["from_event_id"]
        last = body["to_event_id"] if body["to_event_id"] is not None else first
        return {"requeued": integrations().redeliver(subscription_id, caller(), first, last)}


@blp.route("/<subscription_id>/deliveries")
class Deliveries(MethodView):
    @requires("integrator")
    @blp.arguments(DeliveryQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, DeliveryListSchema)
    def get(self, args, subscription_id):
        """The latest deliveries, newest first (`state=dead`: the dead letter)"""
        return {"items": integrations().deliveries(subscription_id, caller(), args["state"],
                                                   args["limit"])}
