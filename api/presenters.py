"""Engine records as response dicts (the shapes in api/schemas/)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from engine import ProcessEngine
from engine.people.departments import with_department_choices
from engine.people.models import Staff
from engine.reference.categories import Categories
from engine.reference.outcome_settings import UpgradeSettings
from engine.store.models import (
    HumanTask,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    TimelineEvent,
    Timer,
)
from engine.store.queries import Page
from engine.workorders.service import OrderDetail, OrderSummary

from .log_masking import mask_phone_numbers
from .outcome_views import outcome_flags, outcome_view


def seconds_left(due: datetime | None, now: datetime) -> float | None:
    """Seconds until `due` (negative once past); None without a due time."""
    return (due - now).total_seconds() if due is not None else None


def task_view(task: HumanTask, engine: ProcessEngine) -> dict[str, Any]:
    remaining = seconds_left(task.due_at, task.paused_at or engine.clock.now())
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "process_key": task.definition_key,
        "business_key": task.business_key,
        "stage": task.stage,
        "stage_name": task.stage_name,
        "lane": task.lane,
        "department": task.department,
        "state": task.state,
        "assignee": task.assignee,
        "form": task.form,
        "form_schema": with_department_choices(
            engine.catalog.form_schema(task.definition_id, task.form), engine.directory),
        "instructions": task.instructions,
        "stage_limit": task.stage_limit,
        "stage_clock": task.stage_clock or "elapsed",
        "paused_since": task.paused_at,
        "created_at": task.created_at,
        "due_at": task.due_at,
        "seconds_remaining": remaining if task.state == "open" else None,
        "overdue": task.state == "open" and remaining is not None and remaining < 0,
        "completed_at": task.completed_at,
        "completed_by": task.completed_by,
    }


def instance_view(instance: ProcessInstance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "process_key": instance.definition_key,
        "version": instance.definition_version,
        "business_key": instance.business_key,
        "status": instance.status,
        "started_by": instance.started_by,
        "started_at": instance.started_at,
        "updated_at": instance.updated_at,
        "ended_at": instance.ended_at,
    }


def instance_detail_view(instance: ProcessInstance, engine: ProcessEngine) -> dict[str, Any]:
    return {
        **instance_view(instance),
        "open_tasks": [task_view(t, engine)
                       for t in engine.reads.tasks(instance_id=instance.id)],
        "pending_timers": [timer_view(t)
                           for t in engine.reads.timers(instance.id, state="pending")],
        "variables": instance.variables,
    }


def timer_view(timer: Timer) -> dict[str, Any]:
    return {"id": timer.id, "kind": timer.kind, "stage": timer.stage,
            "department": timer.department, "due_at": timer.due_at, "state": timer.state}


def timeline_view(instance_id: str, events: list[TimelineEvent]) -> dict[str, Any]:
    return {"instance_id": instance_id, "events": [timeline_event_view(e) for e in events]}


def timeline_event_view(event: TimelineEvent) -> dict[str, Any]:
    return {"id": event.id, "type": event.type, "stage": event.stage,
            "department": event.department, "actor": event.actor, "at": event.at,
            "detail": event.detail, "request_id": event.request_id}


def definition_view(
    definition: ProcessDefinition, engine: ProcessEngine, versions: int | None = None
) -> dict[str, Any]:
    start_form = engine.starter.start_form(definition)
    return {
        "key": definition.key,
        "version": definition.version,
        "name": definition.name,
        "versions": versions,
        "deployed_at": definition.deployed_at,
        "content_hash": definition.content_hash,
        "start_form": start_form[0] if start_form else None,
        "start_form_schema": start_form[1] if start_form else None,
    }


def page_view(page: Page, item_view: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {"items": [item_view(item) for item in page.items], "total": page.total,
            "page": page.page, "per_page": page.per_page, "pages": page.pages}


def open_stage_view(task: HumanTask, department_due: datetime | None,
                    now: datetime) -> dict[str, Any]:
    remaining = seconds_left(task.due_at, task.paused_at or now)  # still while paused
    return {
        "task_id": task.id, "stage": task.stage, "stage_name": task.stage_name,
        "department": task.department, "form": task.form, "assignee": task.assignee,
        "opened_at": task.created_at, "stage_limit": task.stage_limit, "due_at": task.due_at,
        "seconds_remaining": remaining, "overdue": remaining is not None and remaining < 0,
        "department_limit": task.department_limit, "department_due_at": department_due,
        "department_seconds_remaining": seconds_left(department_due, now),
        "stage_clock": task.stage_clock or "elapsed",
        "department_clock": task.department_clock or "elapsed",
        "paused_since": task.paused_at,
    }


def masked_phone(phone: str) -> str:
    """A customer's number as one told about the order sees it: 13912345678 ->
    139****5678 (whatever its length, no more than its first 3 and last 4 digits)."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) > 7 else "****"


def without_phone(view: Any, phone: str) -> Any:
    """`view` with the customer's number masked wherever it appears (the number field,
    the timeline's record of the submission, ...), and any other mobile number in its
    texts (the content, key fields) as well."""
    if isinstance(view, str):
        return mask_phone_numbers(view.replace(phone, masked_phone(phone)) if phone else view)
    if isinstance(view, dict):
        return {key: without_phone(value, phone) for key, value in view.items()}
    if isinstance(view, list | tuple):
        return [without_phone(value, phone) for value in view]
    return view


def work_order_view(summary: OrderSummary, now: datetime, *,
                    told_only: bool = False) -> dict[str, Any]:
    """The order as a listing shows it; `told_only`: to a department involved in it only
    by a notification, which sees the customer's number masked."""
    view = _work_order_view(summary, now)
    return without_phone(view, summary.order.customer_phone) if told_only else view


def _work_order_view(summary: OrderSummary, now: datetime) -> dict[str, Any]:
    order = summary.order
    stages = [open_stage_view(t, summary.department_due.get(t.id), now)
              for t in summary.open_tasks]
    return {
        "number": order.number, "status": summary.status, "flow": order.flow,
        "category": order.category, "customer_phone": order.customer_phone,
        "channel": order.channel, "acceptance_department": order.acceptance_department,
        "customer_tier": order.customer_tier, "urgency": order.urgency,
        "submitted_by": order.submitted_by, "submitted_at": order.submitted_at,
        "closed_at": summary.instance.ended_at,
        "responsible_departments": sorted({t.department for t in summary.open_tasks}),
        "overdue": any(stage["overdue"] for stage in stages),
        "open_stages": stages,
        **outcome_flags(order),
    }


def work_order_detail_view(detail: OrderDetail, categories: Categories, now: datetime, *,
                           told_only: bool = False,
                           causes: UpgradeSettings | None = None,
                           visible: Callable[[Any], bool] = lambda order: True,
                           ) -> dict[str, Any]:
    """The whole order; `told_only` as for work_order_view (nor does such a department
    see the customer's other orders); `visible` picks the recent orders shown."""
    view = {**_work_order_detail_view(detail, categories, now),
            **outcome_view(detail, causes, visible if not told_only else lambda order: False)}
    return without_phone(view, detail.order.customer_phone) if told_only else view


def _work_order_detail_view(detail: OrderDetail, categories: Categories,
                            now: datetime) -> dict[str, Any]:
    variables = detail.instance.variables
    category = categories.get(detail.order.category)
    return {
        **_work_order_view(detail, now),
        "instance_id": detail.instance.id,
        "category_names": list(category.names) if category else [],
        "content": variables.get("content"),
        "customer_note": variables.get("customer_note"),
        "key_fields": variables.get("key_fields") or {},
        "external_reference": detail.order.external_reference,
        "counts": detail.counts,
        "close_out": _close_out(variables),
        "durations": detail.durations(now),
        "lapses": [timeline_event_view(e) for e in detail.lapses],
        "escalations": [timeline_event_view(e) for e in detail.escalations],
        "timeline": [timeline_event_view(e) for e in detail.timeline],
    }


# What the feedback stage (close-out) and the latest return visit recorded.
CLOSE_OUT_FIELDS = ("liable_department", "liable_cause", "justified", "customer_reached",
                    "satisfaction", "visit_reached", "visit_resolved", "visit_satisfaction")


def _close_out(variables: dict[str, Any]) -> dict[str, Any] | None:
    if "liable_cause" not in variables:
        return None  # not fed back yet
    return {name: variables.get(name) for name in CLOSE_OUT_FIELDS}


def notification_view(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id, "recipient": notification.recipient,
        "event": notification.event, "business_key": notification.business_key,
        "instance_id": notification.instance_id, "stage": notification.stage,
        "department": notification.department, "message": notification.message,
        "detail": notification.detail, "created_at": notification.created_at,
        "read_at": notification.read_at, "read_by": notification.read_by,
    }


def staff_view(staff: Staff) -> dict[str, Any]:
    """A staff account, never its password hash."""
    return {"staff_id": staff.staff_id, "name": staff.name, "departments": staff.departments,
            "roles": staff.roles, "email": staff.email, "phone": staff.phone,
            "disabled": staff.disabled_at is not None, "locked_until": staff.locked_until,
            "created_at": staff.created_at, "password_changed_at": staff.password_changed_at}
