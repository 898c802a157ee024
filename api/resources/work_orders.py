"""Complaint work orders: intake, following an order, and what departments do to it."""
from __future__ import annotations

from flask import abort, g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.definitions.forms import FieldError, FormValidationError
from engine.people.case_log import CUSTOMER_FACING, KINDS
from engine.runtime.sandbox import format_duration
from engine.workorders.models import WorkOrder as WorkOrderRow
from engine.workorders.service import WorkOrderFilter

from ..auth import current_principal, requires
from ..presenters import page_view, work_order_detail_view, work_order_view
from ..schemas.work_orders import (
    AuditSchema,
    CancelSchema,
    CaseEntryInputSchema,
    CaseEntrySchema,
    CaseLogSchema,
    PauseSchema,
    ResumeSchema,
    SendBackSchema,
    TransferSchema,
    UrgeSchema,
    WithdrawSchema,
    WorkOrderDetailSchema,
    WorkOrderPageSchema,
    WorkOrderQueryArgs,
    WorkOrderSubmissionSchema,
)
from .common import (
    IDEMPOTENCY_KEY_DOC,
    case_log,
    engine,
    idempotency_key,
    own_department,
    visible_work_order,
    work_orders,
)
from .customers import profiles

blp = Blueprint("work-orders", __name__,
                description="Complaint work orders: intake, status, urge, transfer, audit")


@blp.route("")
class WorkOrders(MethodView):
    @requires("integrator", "department", "manager")
    @blp.arguments(WorkOrderQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, WorkOrderPageSchema)
    def get(self, args):
        """List work orders, newest first (integrators see what they submitted,
        departments what they accepted or worked on)"""
        principal = current_principal()
        where = WorkOrderFilter(
            status=args.get("status"), department=args.get("department"),
            acceptance_department=args.get("acceptance_department"),
            category=args.get("category"), overdue=args.get("overdue"),
            customer_phone=args.get("phone"), urgency=args.get("urgency"),
            customer_tier=args.get("customer_tier"), channel=args.get("channel"),
            submitted_from=args.get("submitted_from"), submitted_to=args.get("submitted_to"),
            submitted_by=principal.name if principal.role == "integrator" else None,
            involving=own_department(),
        )
        now = engine().clock.now()
        found = work_orders().search(where, args["page"], args["per_page"])
        told_only = _told_only([summary.order for summary in found.items])
        return page_view(found, lambda summary: work_order_view(
            summary, now, told_only=summary.order.number in told_only))

    @requires("integrator", "department")
    @blp.arguments(WorkOrderSubmissionSchema)
    @blp.response(201, WorkOrderDetailSchema,
                  description="Submitted (200 when an identical earlier submission is "
                              "returned)")
    @blp.alt_response(200, schema=WorkOrderDetailSchema, description="Retried submission")
    @blp.doc(parameters=[IDEMPOTENCY_KEY_DOC])
    def post(self, body):
        """Submit a complaint: checked, routed by its category, numbered and started"""
        g.form_data_field = "body"  # checks past the schema name the body's fields too
        own = own_department()
        if own is not None:
            if body.get("acceptance_department", own) != own:
                abort(403, description=f"department {own!r} submits orders as itself")
            body["acceptance_department"] = own
        elif not body.get("acceptance_department"):
            raise FormValidationError("work order", [
                FieldError("acceptance_department", "is required")])
        result = work_orders().submit(body, current_principal().name, idempotency_key())
        location = url_for("work-orders.WorkOrder", number=result.number)
        order = work_orders().get(result.number)
        return _detail(order), 201 if result.created else 200, {"Location": location}


@blp.route("/<string:number>")
class WorkOrder(MethodView):
    @requires("integrator", "department", "manager")
    @blp.response(200, WorkOrderDetailSchema)
    def get(self, number):
        """One work order: status, open stages with time left, counts, timeline"""
        return _detail(visible_work_order(number))


@blp.route("/<string:number>/urge")
class Urge(MethodView):
    @requires("department")
    @blp.arguments(UrgeSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Urge (催单): the acceptance department presses whoever holds the order;
        repeatable, each one counted and told to the holding department"""
        order, department = _acting_on(number)
        work_orders().urge(order.number, department, current_principal().name, body["note"])
        return _detail(order)


@blp.route("/<string:number>/transfer")
class Transfer(MethodView):
    @requires("department")
    @blp.arguments(TransferSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Transfer (转派) to another department, with a reason; past the cap on
        transfers and send-backs the order goes to the supervisor instead"""
        order, department = _acting_on(number)
        work_orders().transfer(order.number, department, current_principal().name,
                               body["to_department"], body["reason"])
        return _detail(order)


@blp.route("/<string:number>/send-back")
class SendBack(MethodView):
    @requires("department")
    @blp.arguments(SendBackSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Send the order back (退回) to the department that dispatched it"""
        order, department = _acting_on(number)
        work_orders().send_back(order.number, department, current_principal().name,
                                body["reason"])
        return _detail(order)


@blp.route("/<string:number>/audit")
class Audit(MethodView):
    @requires("department")
    @blp.arguments(AuditSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Audit (审核) the handling result: approve it for feedback, or reject it
        back to the processing department with a reason"""
        order, department = _acting_on(number)
        work_orders().audit(order.number, department, current_principal().name,
                            body["approved"], body["reason"], body["reply_rating"])
        return _detail(order)


@blp.route("/<string:number>/pause")
class Pause(MethodView):
    @requires("department")
    @blp.arguments(PauseSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Pause (挂起) the clock of your open stage, with a reason and optionally when it
        resumes by itself; capped per order by its service level (409 past the cap)"""
        order, department = _acting_on(number)
        work_orders().pause(order.number, department, current_principal().name,
                            body["reason"], body["note"], body["resume_at"])
        return _detail(order)


@blp.route("/<string:number>/resume")
class Resume(MethodView):
    @requires("department", "integrator")
    @blp.arguments(ResumeSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """Resume a paused stage: a department its own, by hand; an integrator every
        paused stage of its order, as the customer's reply arrives"""
        g.form_data_field = "body"
        order = visible_work_order(number)
        work_orders().resume(order.number, current_principal().name, own_department(),
                             body["note"])
        return _detail(order)


@blp.route("/<string:number>/withdraw")
class Withdraw(MethodView):
    @requires("department", "integrator")
    @blp.arguments(WithdrawSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """The customer withdraws the order (its acceptance department or the integrator
        that submitted it, with a reason): every stage, limit and ladder rung stops"""
        order = visible_work_order(number)
        principal = current_principal()
        work_orders().withdraw(
            order.number, principal.name, body["reason"], department=own_department(),
            integrator=principal.name if principal.role == "integrator" else None)
        return _detail(order)


@blp.route("/<string:number>/cancel")
class Cancel(MethodView):
    @requires("department")
    @blp.arguments(CancelSchema)
    @blp.response(200, WorkOrderDetailSchema)
    def post(self, body, number):
        """A supervisor cancels a duplicate order (naming the order it duplicates):
        every stage, limit and ladder rung stops"""
        g.form_data_field = "body"
        order = visible_work_order(number)
        principal = current_principal()
        work_orders().cancel_duplicate(
            order.number, principal.name, own_department(), body["reason"],
            body["duplicate_of"], supervisor=principal.is_staff("supervisor"),
            admin=principal.is_admin)
        return _detail(order)


@blp.route("/<string:number>/case-log")
class CaseLogEntries(MethodView):
    @requires("integrator", "department", "manager")
    @blp.response(200, CaseLogSchema)
    def get(self, number):
        """The order's work notes, interim replies and customer contacts, and when the
        next contact is due (an integrator reads the interim replies only)"""
        order = visible_work_order(number)
        integrator = current_principal().role == "integrator"
        entries = case_log().entries(order.number, CUSTOMER_FACING if integrator else KINDS)
        contact = case_log().contact_state(order)
        every = contact["every"]
        return {"number": order.number, "entries": entries,
                "contact": {**contact, "every": format_duration(every) if every else None}}

    @requires("department")
    @blp.arguments(CaseEntryInputSchema)
    @blp.response(201, CaseEntrySchema)
    def post(self, body, number):
        """Log a work note, an interim reply to the customer or a contact (called, not
        reached, SMS sent) on the order"""
        g.form_data_field = "body"
        order = visible_work_order(number)
        return case_log().add(order.number, body, current_principal().name, own_department())


def _acting_on(number: str):
    """The order and the caller's department; these moves are a department's own."""
    g.form_data_field = "body"
    order = visible_work_order(number)
    department = own_department()
    if department is None:
        abort(403, description="a department acts on an order; use a department token")
    return order, department


def _detail(order: WorkOrderRow):
    """The order as it is now (it was read before the action: its own row changes
    after intake only by an escalation or a first-contact record, which read it
    again)."""
    return detail_of(order)


def detail_of(order: WorkOrderRow):
    detail = work_orders().describe(order)
    view = work_order_detail_view(detail, work_orders().categories, engine().clock.now(),
                                  told_only=bool(_told_only([order])),
                                  causes=work_orders().settings.outcomes.upgrades,
                                  visible=_visible_to_caller)
    # The profile is internal (guidance, sensitivity markers): not for integrators.
    internal = current_principal().role != "integrator"
    return {**view, "order_deadline": work_orders().order_deadline(order),
            "customer_profile": profiles().get(order.customer_phone) if internal else None}


def _visible_to_caller(order: WorkOrderRow) -> bool:
    """Whether the caller may see `order` (the customer's other orders in a view)."""
    principal = current_principal()
    if principal.role == "integrator":
        return order.submitted_by == principal.name
    own = own_department()
    return own is None or work_orders().involves(order, own)


def _told_only(orders: list[WorkOrderRow]) -> set[str]:
    """The numbers of `orders` the calling department is involved in only by a
    notification: it sees their customer's number masked. Integrators (their own
    submissions) and managers see every number."""
    own = own_department()
    return work_orders().told_only(orders, own) if own is not None and orders else set()
