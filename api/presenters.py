"""Engine records as response dicts (the shapes in api/schemas.py)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine import ProcessEngine
from engine.models import HumanTask, ProcessDefinition, ProcessInstance, TimelineEvent, Timer
from engine.queries import Page


def task_view(task: HumanTask, engine: ProcessEngine) -> dict[str, Any]:
    now = engine.clock.now()
    remaining = (task.due_at - now).total_seconds() if task.due_at else None
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
        "form_schema": engine.form_schema(task.definition_id, task.form),
        "instructions": task.instructions,
        "stage_limit": task.stage_limit,
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
        "open_tasks": [task_view(t, engine) for t in engine.tasks(instance_id=instance.id)],
        "pending_timers": [timer_view(t) for t in engine.timers(instance.id, state="pending")],
        "variables": instance.variables,
    }


def timer_view(timer: Timer) -> dict[str, Any]:
    return {"id": timer.id, "kind": timer.kind, "stage": timer.stage,
            "department": timer.department, "due_at": timer.due_at, "state": timer.state}


def timeline_view(instance_id: str, events: list[TimelineEvent]) -> dict[str, Any]:
    return {"instance_id": instance_id, "events": [
        {"id": e.id, "type": e.type, "stage": e.stage, "department": e.department,
         "actor": e.actor, "at": e.at, "detail": e.detail}
        for e in events
    ]}


def definition_view(
    definition: ProcessDefinition, engine: ProcessEngine, versions: int | None = None
) -> dict[str, Any]:
    start_form = engine.start_form(definition)
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
