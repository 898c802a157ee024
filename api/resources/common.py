"""Helpers the resource modules share."""
from __future__ import annotations

from flask import abort, current_app

from engine import ProcessEngine
from engine.models import ProcessInstance

from ..auth import current_principal


def engine() -> ProcessEngine:
    return current_app.extensions["process_engine"]


def visible_instance(instance_id: str) -> ProcessInstance:
    """The instance if the caller may see it; 404 otherwise (its existence is not leaked)."""
    instance = engine().get_instance(instance_id)
    principal = current_principal()
    hidden = (
        (principal.role == "integrator" and instance.started_by != principal.name)
        or (principal.role == "department"
            and not engine().department_involved(instance_id, principal.department))
    )
    if hidden:
        abort(404, description=f"no process instance {instance_id!r}")
    return instance


def own_department() -> str | None:
    """The department a department principal is confined to (None for other roles)."""
    principal = current_principal()
    return principal.department if principal.role == "department" else None
