"""One blueprint per resource, all under /api/v1 (health checks at the root)."""
from flask_smorest import Api

from . import (
    categories,
    code_lists,
    decisions,
    definitions,
    deployments,
    health,
    instances,
    messages,
    notifications,
    reports,
    tasks,
    work_orders,
)


def register_blueprints(api: Api) -> None:
    for module in (work_orders, categories, notifications, reports, definitions, instances,
                   messages, tasks, deployments, decisions, code_lists):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    api.register_blueprint(health.blp)
