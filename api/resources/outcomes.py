"""Outcomes of a work order a manager records: an escalation above the company (升级) and
the liability judgment (企业有责判定) of an upgraded order."""
from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import current_principal, requires
from ..schemas.outcomes import EscalateSchema, JudgeSchema
from ..schemas.work_orders import WorkOrderDetailSchema
from .common import visible_work_order, work_orders
from .work_orders import detail_of

blp = Blueprint("work-order-outcomes", __name__,
                description="Upgraded complaints: escalation and liability judgments")


@blp.route("/<string:number>/escalate")
class Escalate(MethodView):
    @requires("manager")
    @blp.arguments(EscalateSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Escalate (升级): the customer took the order above the company (the regulator,
        the consumer association, group headquarters); the order is flagged upgraded
        and whom the upgrade service table names is told at once"""
        g.form_data_field = "body"  # rule checks name the body's fields too
        order = visible_work_order(number)
        work_orders().escalate(order.number, body["source"], body["reference"],
                               current_principal().name)
        return detail_of(work_orders().get(order.number))


@blp.route("/<string:number>/liability")
class Judge(MethodView):
    @requires("manager")
    @blp.arguments(JudgeSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Record or revise the liability judgment of an upgraded order: liable or not,
        the liable department(s), a coded cause, major or not, judged at; every version
        is on the timeline and the KPI counts the latest"""
        g.form_data_field = "body"
        order = visible_work_order(number)
        work_orders().judge(order.number, current_principal().name, **body)
        return detail_of(order)
