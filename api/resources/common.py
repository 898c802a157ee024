"""Helpers the resource modules share."""
from __future__ import annotations

from flask import abort, current_app, request

from engine import ProcessEngine
from engine.errors import InstanceNotFound
from engine.people.case_log import CaseLog
from engine.reports import Reports
from engine.store.models import ProcessInstance
from engine.workorders.errors import WorkOrderNotFound
from engine.workorders.models import WorkOrder
from engine.workorders.service import WorkOrders

from ..auth import current_principal


def engine() -> ProcessEngine:
    return current_app.extensions["process_engine"]


def work_orders() -> WorkOrders:
    return current_app.extensions["work_orders"]


def case_log() -> CaseLog:
    return current_app.extensions["case_log"]


def reports() -> Reports:
    return current_app.extensions["reports"]


def visible_instance(instance_id: str) -> ProcessInstance:
    """The instance if the caller may see it; otherwise the same 404 as for an instance
    that does not exist (its existence is not leaked)."""
    instance = engine().reads.get_instance(instance_id)
    principal = current_principal()
    own = own_department()
    hidden = (
        (principal.role == "integrator" and instance.started_by != principal.name)
        or (own is not None and not engine().reads.department_involved(instance_id, own))
    )
    if hidden:
        raise InstanceNotFound(instance_id)  # the very answer for an absent one
    return instance


def own_department() -> str | None:
    """The department a department principal is confined to (None for other roles; a
    department principal always has one, see auth.principal_for)."""
    principal = current_principal()
    return principal.department if principal.role == "department" else None


def confined_department(requested: str | None, what: str) -> str | None:
    """The department a listing of `what` covers: a department principal's own (asking
    for another's is 403), otherwise the one `requested`, if any."""
    own = own_department()
    if own is None:
        return requested
    if requested not in (None, own):
        abort(403, description=f"department {own!r} may only list its own {what}")
    return own


def visible_work_order(number: str) -> WorkOrder:
    """The work order if the caller may see it: integrators their own submissions,
    departments the orders they accepted or worked on; otherwise the same 404 as for an
    order that does not exist."""
    order = work_orders().get(number)
    principal = current_principal()
    own = own_department()
    hidden = (
        (principal.role == "integrator" and order.submitted_by != principal.name)
        or (own is not None and not work_orders().involves(order, own))
    )
    if hidden:
        raise WorkOrderNotFound(number)  # the very answer for an absent one
    return order


IDEMPOTENCY_KEY_DOC = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Makes a retried request return what the first one created; reusing "
                   "the key for a different request is a 409.",
}


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and len(key) > 200:
        abort(400, description="Idempotency-Key is longer than 200 characters")
    return key
