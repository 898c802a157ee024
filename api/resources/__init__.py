"""One blueprint per resource, all under /api/v1 (health checks at the root)."""
from flask_smorest import Api

from . import (
    attachments,
    categories,
    customers,
    decisions,
    definitions,
    departments,
    deployments,
    health,
    instances,
    messages,
    notifications,
    remedies,
    reports,
    sessions,
    staff,
    tasks,
    work_orders,
)


def register_blueprints(api: Api) -> None:
    for module in (work_orders, categories, notifications, reports, definitions, instances,
                   messages, tasks, deployments, decisions):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    # People and case work (issue 15).
    for module in (departments, staff, sessions, customers):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    # Attachments and remedies live under the work orders' paths, in blueprints of their own.
    for module in (attachments, remedies):
        api.register_blueprint(module.blp, url_prefix="/api/v1/work-orders")
    api.register_blueprint(health.blp)
