"""The web console: a single page under /console, served by the API's own Flask app.

The page is static HTML, our own ES modules and CSS, and the vendored bpmn-js bundles
(static/vendor, written by `python -m api.console.vendor`). It talks to /api/v1 with
the signed-in caller's bearer token like any client, so it can do nothing the API would
not let that caller do. A few reads the API has no resource for live here, under
/console/api, behind the same bearer authentication (an API token or a person's login):
who the caller is (and the department names to show), the diagram an order runs on, the
start form of a category's flow, and the choices of the case-work forms.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, g, request, send_from_directory

from engine.definitions.forms import FieldError, FormValidationError
from engine.process_engine import ProcessEngine
from engine.workorders.routing import route

from .. import auth
from ..resources.common import visible_work_order

HERE = Path(__file__).resolve().parent

# No inline script anywhere: every script is a file of ours or a vendored bundle.
# bpmn-js sets style attributes on the SVG it draws, hence 'unsafe-inline' for styles.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

bp = Blueprint("console", __name__, url_prefix="/console", static_folder="static",
               static_url_path="/static")


@bp.after_request
def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
def authenticate_api_calls() -> None:
    if request.path.startswith("/console/api/"):
        auth.authenticate(_engine().reading, current_app.extensions["accounts"],
                          _engine().clock.now())


@bp.get("/")
def page() -> Response:
    return send_from_directory(HERE / "templates", "index.html")


@bp.get("/api/session")
@auth.requires(*auth.ROLES)
def session() -> dict:
    """Who the token belongs to, and the department directory's names to show."""
    principal = auth.current_principal()
    directory = _engine().directory or ()
    person = (current_app.extensions["accounts"].get(principal.staff_id)
              if principal.staff_id else None)
    return {"name": principal.name, "role": principal.role,
            "department": principal.department,
            "staff_id": principal.staff_id, "staff_roles": list(principal.staff_roles),
            "person_name": person.name if person else None,
            "departments": [{"id": d.id, "name": d.name, "roles": list(d.roles)}
                            for d in directory]}


@bp.get("/api/work-orders/<string:number>/diagram")
@auth.requires("department", "integrator", "manager")
def diagram(number: str) -> Response:
    """The BPMN of the version an order runs on, for whoever may see the order."""
    order = visible_work_order(number)
    instance = _engine().reads.get_instance(order.instance_id)
    definition = _engine().catalog.definition(instance.definition_key,
                                              instance.definition_version)
    return Response(definition.bpmn_xml, mimetype="application/xml")


@bp.get("/api/intake-form")
@auth.requires("department", "integrator")
def intake_form() -> dict:
    """The start form of the flow a category routes to, to build the intake form from."""
    category = request.args.get("category", "")
    g.form_data_field = "query"  # the error names the query parameter
    if current_app.extensions["work_orders"].categories.get(category) is None:
        raise FormValidationError("intake form", [FieldError(
            "category", "is not a category of the tree (GET /api/v1/categories)")])
    flow = route(_engine().catalog, category)["flow"]
    start_form = _engine().starter.start_form(_engine().catalog.definition(flow))
    return {"flow": flow, "form": start_form[0] if start_form else None,
            "schema": start_form[1] if start_form else {}}


@bp.get("/api/choices")
@auth.requires(*auth.ROLES)
def choices() -> dict:
    """The coded answers of the case-work forms: pause reasons, upgrade sources, liable
    causes (data/pause_reasons.json, data/settings.json)."""
    work_orders = current_app.extensions["work_orders"]
    reasons = work_orders.pause_reasons
    upgrades = work_orders.settings.outcomes.upgrades
    found = [reasons.get(code) for code in reasons.codes()] if reasons else []
    return {"pause_reasons": [{"code": r.code, "name": r.name} for r in found if r],
            "upgrade_sources": list(upgrades.sources),
            "liable_causes": [{"code": c.code, "name": c.name}
                              for c in upgrades.liable_causes]}


def _engine() -> ProcessEngine:
    return current_app.extensions["process_engine"]

