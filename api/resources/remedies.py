"""The customer's demand and the remedy granted on a work order, and the refund audit
by a second person, under /work-orders/{number}/."""
from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.people.remedies import Remedies

from ..auth import current_principal, requires
from ..schemas.remedies import (
    RefundAuditInputSchema,
    RefundAuditSchema,
    RemedyInputSchema,
    RemedyStateSchema,
)
from .common import own_department, visible_work_order

# Registered at /api/v1/work-orders (api/resources/__init__.py), beside work_orders.py.
blp = Blueprint("remedies", __name__, description="Demand, remedy and refund audit")


def remedies() -> Remedies:
    return current_app.extensions["remedies"]


@blp.route("/<string:number>/remedy")
class Remedy(MethodView):
    @requires("department", "manager")
    @blp.response(200, RemedyStateSchema)
    def get(self, number):
        """The demand and remedy, the refund audits, and whether feedback must wait"""
        return _state(visible_work_order(number).number)

    @requires("department")
    @blp.arguments(RemedyInputSchema)
    @blp.response(200, RemedyStateSchema)
    def put(self, body, number):
        """Record the customer's demand and the remedy granted (refund, compensation,
        apology); a refund above the threshold then needs a refund audit"""
        g.form_data_field = "body"
        order = visible_work_order(number)
        remedies().put(order.number, body, current_principal().name, own_department())
        return _state(order.number)


@blp.route("/<string:number>/refund-audits")
class RefundAudits(MethodView):
    @requires("department", "manager")
    @blp.arguments(RefundAuditInputSchema)
    @blp.response(201, RefundAuditSchema)
    def post(self, body, number):
        """Audit the refund (退费稽核): a logged-in person other than the one who
        recorded it approves or refuses the amount recorded now"""
        order = visible_work_order(number)
        principal = current_principal()
        return remedies().audit(order.number, body["approved"], body.get("note"),
                                principal.name, own_department(),
                                person=principal.staff_id is not None), 201


def _state(number: str) -> dict:
    remedy, audits, pending = remedies().get(number)
    return {"number": number, "remedy": remedy, "refund_audits": audits,
            "refund_audit_pending": pending}
