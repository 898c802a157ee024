"""One blueprint per resource, all under /api/v1 (health checks at the root)."""
from flask_smorest import Api

from . import (
    attachments,
    categories,
    code_lists,
    customers,
    decisions,
    definitions,
    departments,
    deployments,
    events,
    health,
    incidents,
    instances,
    messages,
    notifications,
    outcome_reports,
    outcomes,
    remedies,
    reports,
    sessions,
    staff,
    subscriptions,
    tasks,
    work_orders,
)


def register_blueprints(api: Api) -> None:
    for module in (work_orders, categories, notifications, reports, definitions, instances,
                   messages, tasks, deployments, decisions, subscriptions, events,
                   incidents, code_lists):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    # People and case work (issue 15).
    for module in (departments, staff, sessions, customers):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1/{module.blp.name}")
    # Outcomes, attachments and remedies live under the work orders' paths, and the
    # outcome reports under the reports', in blueprints of their own.
    for module in (outcomes, attachments, remedies):
        api.register_blueprint(module.blp, url_prefix="/api/v1/work-orders")
    api.register_blueprint(outcome_reports.blp, url_prefix="/api/v1/reports")
    api.register_blueprint(health.blp)
