"""Who may do what: every role against every endpoint."""
from __future__ import annotations

import io
import itertools
import json

import pytest
from werkzeug.test import EnvironBuilder

from api import process_engine, work_orders
from api.auth import create_token
from engine import SimulatedClock
from tests.api.conftest import (
    GENERIC,
    ORDER,
    PRINCIPALS,
    Client,
    build_app,
    deploy_generic,
    dispose,
)
from tests.api.people import PASSWORD, hire, log_in
from tests.conftest import T0
from tests.orders import SUBMISSION

ROLES = ["front_desk", "billing", "crm", "hotline", "designer", "manager", "admin", None]

# endpoint -> (method, path template, body) ; {i} instance id (of GENERIC, a flow that is
# no work order's, started by crm), {t} its open task, {n} unique, {w} a work order
# (submitted by crm, accepted by front_desk, waiting at dispatch)
ENDPOINTS = {
    "list categories": ("GET", "/api/v1/categories", None),
    "submit work order": ("POST", "/api/v1/work-orders",
                          {**ORDER, "external_reference": "M-{n}"}),
    "list work orders": ("GET", "/api/v1/work-orders", None),
    "read work order": ("GET", "/api/v1/work-orders/{w}", None),
    "urge": ("POST", "/api/v1/work-orders/{w}/urge", {}),
    "transfer": ("POST", "/api/v1/work-orders/{w}/transfer",
                 {"to_department": "billing", "reason": "x"}),
    "send back": ("POST", "/api/v1/work-orders/{w}/send-back", {"reason": "x"}),
    "escalate": ("POST", "/api/v1/work-orders/{w}/escalate",
                 {"source": "regulator", "reference": "R-{n}"}),
    "judge liability": ("POST", "/api/v1/work-orders/{w}/liability", {"liable": False}),
    "audit": ("POST", "/api/v1/work-orders/{w}/audit", {"approved": True}),
    "list notifications": ("GET", "/api/v1/notifications", None),
    "mark notification read": ("POST", "/api/v1/notifications/2147483646/read", None),
    "mark all read": ("POST", "/api/v1/notifications/read-all", None),
    "timeliness report": ("GET", "/api/v1/reports/timeliness?group_by=flow", None),
    "at-risk report": ("GET", "/api/v1/reports/at-risk", None),
    "kpi report": ("GET", "/api/v1/reports/kpi?year=2026&month=3", None),
    "first-contact report": ("GET", "/api/v1/reports/first-contact", None),
    "repeats report": ("GET", "/api/v1/reports/repeats?group_by=month", None),
    "upgrades report": ("GET", "/api/v1/reports/upgrades", None),
    "problems report": ("GET", "/api/v1/reports/problems?format=csv", None),
    "hotspots report": ("GET", "/api/v1/reports/hotspots", None),
    "daily on-time chart": ("GET", "/api/v1/reports/on-time-daily?format=svg", None),
    "list definitions": ("GET", "/api/v1/process-definitions", None),
    "read definition": ("GET", "/api/v1/process-definitions/one_department", None),
    "start": ("POST", f"/api/v1/process-definitions/{GENERIC}/start",
              {"business_key": "M-{n}", "variables": SUBMISSION}),
    "start a work-order flow": ("POST", "/api/v1/process-definitions/one_department/start",
                                {"business_key": "M-{n}", "variables": SUBMISSION}),
    "list instances": ("GET", "/api/v1/process-instances", None),
    "read instance": ("GET", "/api/v1/process-instances/{i}", None),
    "read timeline": ("GET", "/api/v1/process-instances/{i}/timeline", None),
    "message instance": ("POST", "/api/v1/process-instances/{i}/messages/nothing",
                         {"payload": {}}),
    "correlate message": ("POST", "/api/v1/messages",
                          {"name": "nothing", "business_key": "{b}"}),
    "list tasks": ("GET", "/api/v1/tasks", None),
    "read task": ("GET", "/api/v1/tasks/{t}", None),
    "claim": ("POST", "/api/v1/tasks/{t}/claim", None),
    "unclaim": ("POST", "/api/v1/tasks/{t}/unclaim", None),
    "complete": ("POST", "/api/v1/tasks/{t}/complete", {"data": {}}),
    "list versions": ("GET", "/api/v1/process-definitions/one_department/versions", None),
    "read version xml": ("GET", "/api/v1/process-definitions/one_department/versions/1/bpmn",
                         None),
    "deploy (no files)": ("POST", "/api/v1/deployments?dry_run=true", None),
    "migrate (dry run)": ("POST", "/api/v1/process-definitions/one_department/migrations",
                          {"from_version": 1, "dry_run": True}),
    "list decisions": ("GET", "/api/v1/decisions", None),
    "evaluate decision": ("POST", "/api/v1/decisions/routing/evaluate",
                          {"inputs": {"business": "billing", "phenomenon": "x", "cause": "y"}}),
    # People (issue 15).
    "list departments": ("GET", "/api/v1/departments", None),
    "list staff": ("GET", "/api/v1/staff", None),
    "create staff": ("POST", "/api/v1/staff", {"staff_id": "M{n}", "name": "x",
                                               "roles": ["manager"], "password": PASSWORD}),
    "own account": ("GET", "/api/v1/staff/me", None),
    "assign": ("POST", "/api/v1/tasks/{t}/assign", {"staff_id": "P-handler"}),
    "handlers report": ("GET", "/api/v1/reports/handlers", None),
    "log in": ("POST", "/api/v1/sessions", {"staff_id": "nobody", "password": "x"}),
    "log out": ("DELETE", "/api/v1/sessions/current", None),
    "withdraw": ("POST", "/api/v1/work-orders/{w}/withdraw", {"reason": "x"}),
    "cancel duplicate": ("POST", "/api/v1/work-orders/{w}/cancel",
                         {"reason": "x", "duplicate_of": "WO-20990101-000001"}),
    "endings report": ("GET", "/api/v1/reports/endings", None),
    "read case log": ("GET", "/api/v1/work-orders/{w}/case-log", None),
    "write case log": ("POST", "/api/v1/work-orders/{w}/case-log",
                       {"kind": "note", "text": "x"}),
    "contacts due": ("GET", "/api/v1/reports/contacts-due", None),
    "list attachments": ("GET", "/api/v1/work-orders/{w}/attachments", None),
    "upload (no file)": ("POST", "/api/v1/work-orders/{w}/attachments", None),
    "download attachment": ("GET", "/api/v1/work-orders/{w}/attachments/none", None),
    "read profile": ("GET", "/api/v1/customers/13900000001/profile", None),
    "change profile": ("PUT", "/api/v1/customers/13900000002/profile", {"tier": "vip"}),
    "read remedy": ("GET", "/api/v1/work-orders/{w}/remedy", None),
    "record remedy": ("PUT", "/api/v1/work-orders/{w}/remedy", {"demands": ["refund"]}),
    "refund audit": ("POST", "/api/v1/work-orders/{w}/refund-audits", {"approved": True}),
}

# Expected status per endpoint, in ROLES order. The order under test was started by
# `crm`; its open task belongs to `front_desk`. 404 where a resource exists but is not
# the caller's to see; 409/422/404 where the call is allowed but the request itself fails.
MATRIX = {
    #                     front  billing crm  hotline design manager admin anon
    "list categories":   (200, 200, 200, 200, 200, 200, 200, 401),
    "submit work order": (201, 403, 201, 201, 403, 403, 201, 401),
    "list work orders":  (200, 200, 200, 200, 403, 200, 200, 401),
    "read work order":   (200, 404, 200, 404, 403, 200, 200, 401),
    "urge":              (409, 404, 403, 403, 403, 403, 403, 401),
    "transfer":          (409, 404, 403, 403, 403, 403, 403, 401),
    "send back":         (409, 404, 403, 403, 403, 403, 403, 401),
    "escalate":          (403, 403, 403, 403, 403, 200, 200, 401),
    "judge liability":   (403, 403, 403, 403, 403, 409, 409, 401),
    "audit":             (409, 404, 403, 403, 403, 403, 403, 401),
    "list notifications": (200, 200, 403, 403, 403, 200, 200, 401),
    "mark notification read": (404, 404, 403, 403, 403, 404, 404, 401),
    "mark all read":     (200, 200, 403, 403, 403, 200, 200, 401),
    "timeliness report": (403, 403, 403, 403, 403, 200, 200, 401),
    "at-risk report":    (200, 200, 403, 403, 403, 200, 200, 401),
    "kpi report":        (403, 403, 403, 403, 403, 200, 200, 401),
    "first-contact report": (200, 200, 403, 403, 403, 200, 200, 401),
    "repeats report":    (200, 200, 403, 403, 403, 200, 200, 401),
    "upgrades report":   (200, 200, 403, 403, 403, 200, 200, 401),
    "problems report":   (200, 200, 403, 403, 403, 200, 200, 401),
    "hotspots report":   (403, 403, 403, 403, 403, 200, 200, 401),
    "daily on-time chart": (403, 403, 403, 403, 403, 200, 200, 401),
    "list definitions":  (403, 403, 200, 200, 200, 200, 200, 401),
    "read definition":   (403, 403, 200, 200, 200, 200, 200, 401),
    "start":             (403, 403, 201, 201, 403, 403, 201, 401),
    "start a work-order flow": (403, 403, 403, 403, 403, 403, 403, 401),
    "list instances":    (403, 403, 200, 200, 403, 200, 200, 401),
    "read instance":     (200, 404, 200, 404, 403, 200, 200, 401),
    "read timeline":     (200, 404, 200, 404, 403, 200, 200, 401),
    "message instance":  (403, 403, 409, 404, 403, 403, 409, 401),
    "correlate message": (403, 403, 404, 404, 403, 403, 404, 401),
    "list tasks":        (200, 200, 403, 403, 403, 200, 200, 401),
    "read task":         (200, 404, 403, 403, 403, 200, 200, 401),
    "claim":             (200, 404, 403, 403, 403, 403, 200, 401),
    "unclaim":           (200, 404, 403, 403, 403, 403, 200, 401),
    "complete":          (422, 404, 403, 403, 403, 403, 422, 401),
    "list versions":     (403, 403, 200, 200, 200, 200, 200, 401),
    "read version xml":  (403, 403, 200, 200, 200, 200, 200, 401),
    "deploy (no files)": (403, 403, 403, 403, 400, 403, 400, 401),
    "migrate (dry run)": (403, 403, 403, 403, 200, 403, 200, 401),
    "list decisions":    (403, 403, 200, 200, 200, 200, 200, 401),
    "evaluate decision": (403, 403, 403, 403, 200, 200, 200, 401),
    "list departments":  (200, 200, 200, 200, 200, 200, 200, 401),
    "list staff":        (200, 200, 403, 403, 403, 200, 200, 401),
    "create staff":      (403, 403, 403, 403, 403, 403, 201, 401),
    "own account":       (403, 403, 403, 403, 403, 403, 403, 401),
    "assign":            (403, 404, 403, 403, 403, 403, 200, 401),
    "handlers report":   (403, 403, 403, 403, 403, 200, 200, 401),
    "log in":            (401, 401, 401, 401, 401, 401, 401, 401),
    "log out":           (204, 204, 204, 204, 204, 204, 204, 401),
    "withdraw":          (200, 404, 200, 404, 403, 403, 200, 401),
    "cancel duplicate":  (403, 404, 403, 403, 403, 403, 422, 401),
    "endings report":    (403, 403, 403, 403, 403, 200, 200, 401),
    "read case log":     (200, 404, 200, 404, 403, 200, 200, 401),
    "write case log":    (201, 404, 403, 403, 403, 403, 201, 401),
    "contacts due":      (200, 200, 403, 403, 403, 200, 200, 401),
    "list attachments":  (200, 404, 200, 404, 403, 200, 200, 401),
    "upload (no file)":  (400, 404, 400, 404, 403, 403, 400, 401),
    "download attachment": (404, 404, 404, 404, 403, 404, 404, 401),
    "read profile":      (404, 403, 403, 403, 403, 404, 404, 401),
    "change profile":    (200, 403, 403, 403, 403, 403, 200, 401),
    "read remedy":       (200, 404, 403, 403, 403, 200, 200, 401),
    "record remedy":     (200, 404, 403, 403, 403, 403, 200, 401),
    "refund audit":      (409, 404, 403, 403, 403, 409, 409, 401),
}

# People logged in (staff accounts): a handler and a supervisor of front_desk (the
# department of the task and order under test), a handler and supervisor of billing,
# and staff acting as manager and as admin.
PEOPLE = {
    "P-handler": (["handler"], ["front_desk"]),
    "P-supervisor": (["supervisor"], ["front_desk"]),
    "P-other": (["handler", "supervisor"], ["billing"]),
    "P-manager": (["manager"], []),
    "P-admin": (["admin"], []),
}
PEOPLE_MATRIX = {
    #                    handler super  other  manager admin
    "list tasks":        (200, 200, 200, 200, 200),
    "read task":         (200, 200, 404, 200, 200),
    "claim":             (200, 200, 404, 403, 200),
    "unclaim":           (200, 200, 404, 403, 200),
    "complete":          (422, 422, 404, 403, 422),
    "assign":            (403, 200, 404, 403, 200),
    "read work order":   (200, 200, 404, 200, 200),
    "read instance":     (200, 200, 404, 200, 200),
    "urge":              (409, 409, 404, 403, 403),
    "submit work order": (201, 201, 403, 403, 201),
    "list staff":        (200, 200, 200, 200, 200),
    "create staff":      (403, 403, 403, 403, 201),
    "own account":       (200, 200, 200, 200, 200),
    "list departments":  (200, 200, 200, 200, 200),
    "handlers report":   (403, 200, 200, 200, 200),
    "timeliness report": (403, 403, 403, 200, 200),
    "deploy (no files)": (403, 403, 403, 403, 400),
    "withdraw":          (200, 200, 404, 403, 200),
    "cancel duplicate":  (403, 422, 404, 403, 422),
    "write case log":    (201, 201, 404, 403, 201),
    "change profile":    (200, 200, 403, 403, 200),
    "record remedy":     (200, 200, 404, 403, 200),
}

_counter = itertools.count()


@pytest.fixture(scope="module")
def matrix_client(module_database_url):
    app, tokens = build_app(module_database_url, SimulatedClock(T0))
    assert set(PRINCIPALS) <= set(tokens)
    client = Client(app.test_client(), tokens)
    deploy_generic(client)
    for staff_id, (roles, departments) in PEOPLE.items():
        hire(client, staff_id, roles, departments)
        log_in(client, staff_id)
    yield client, process_engine(app), work_orders(app)
    dispose(app)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(matrix_client, endpoint, role):
    _check(matrix_client, endpoint, role, MATRIX[endpoint][ROLES.index(role)])


@pytest.mark.parametrize("endpoint", list(PEOPLE_MATRIX))
@pytest.mark.parametrize("who", list(PEOPLE))
def test_authorization_matrix_of_people(matrix_client, endpoint, who):
    """A handler acts on its department's stages (and its own assignments: see
    test_assignment.py); a supervisor assigns within its department only."""
    _check(matrix_client, endpoint, who, PEOPLE_MATRIX[endpoint][list(PEOPLE).index(who)])


def _check(matrix_client, endpoint: str, role: str | None, expected: int) -> None:
    client, engine, orders = matrix_client
    n = next(_counter)
    method, template, body = ENDPOINTS[endpoint]
    number = None
    if "{w}" in template:
        number = orders.submit({**ORDER, "external_reference": f"W-{n}"}, "crm").number
    business_key = f"AUTH-{n}"
    instance_id = engine.starter.start(GENERIC, business_key, SUBMISSION,
                                       actor="crm").instance_id
    task_id = engine.reads.tasks(instance_id=instance_id)[0].id
    fill = {"i": instance_id, "t": task_id, "n": n, "b": business_key, "w": number}
    path = template.format(**fill)
    if body is not None:
        body = {k: v.format(**fill) if isinstance(v, str) else v for k, v in body.items()}

    response = client.call(method, path, role, json=body)

    assert response.status_code == expected, (endpoint, role, response.get_json())
    if expected >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"


def test_revoked_tokens_are_refused(matrix_client):
    client, engine, _orders = matrix_client
    from sqlalchemy import update

    from api.auth import ApiToken

    with engine.sessions() as session, session.begin():
        token = create_token(session, name="temp", role="manager", department=None,
                             now=engine.clock.now())
    client.tokens["temp"] = token
    assert client.get("/api/v1/tasks", "temp").status_code == 200
    with engine.sessions() as session, session.begin():
        session.execute(update(ApiToken).where(ApiToken.name == "temp")
                        .values(revoked_at=engine.clock.now()))
    assert client.get("/api/v1/tasks", "temp").status_code == 401


def _send(client: Client, as_: str | None, token: str | None = None):
    """POST a 0.8 MB JSON body to start; returns (response, whether the body was read)."""
    body = io.BytesIO(json.dumps({"business_key": "BIG", "variables": {
        **SUBMISSION, "content": "x" * 800_000}}).encode())
    headers = {"Content-Type": "application/json"}
    if as_ is not None or token is not None:
        headers["Authorization"] = f"Bearer {token or client.tokens[as_]}"
    builder = EnvironBuilder(path=f"/api/v1/process-definitions/{GENERIC}/start",
                             method="POST", headers=headers, input_stream=body,
                             content_length=len(body.getvalue()))
    return client.flask_client.open(builder), body.tell() > 0


def test_a_caller_without_a_valid_token_is_refused_before_its_body_is_read(
        matrix_client, monkeypatch):
    # Issue 13: the body checks used to run before authentication, so anyone could make
    # the server parse (twice) and scan 0.8 MB for the cost of sending it.
    client, _engine, _orders = matrix_client
    checked = []
    monkeypatch.setattr("api.auth.check_json_body", checked.append)
    for as_, token, status in [(None, None, 401), (None, "wo_not-a-token", 401),
                               ("front_desk", None, 403), ("designer", None, 403)]:
        response, read = _send(client, as_, token)
        assert response.status_code == status, response.get_json()
        assert not read and not checked, (as_, token)
    # The same body from a caller who may start is read and checked, once.
    response, read = _send(client, "crm")
    assert read and len(checked) == 1
    assert response.status_code in (201, 422), response.get_json()


def test_every_api_operation_checks_its_role_and_then_the_body(matrix_client):
    # auth.requires is where a body is first read (after authentication and the role
    # check): an operation without it would parse bodies no check has looked at.
    client, _engine, _orders = matrix_client
    app = client.flask_client.application
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json":
            continue
        view_class = app.view_functions[rule.endpoint].view_class
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            view = getattr(view_class, method.lower())
            assert getattr(view, "allowed_roles", None), (method, rule.rule)


def test_running_instance_counts_are_scoped_to_what_the_caller_may_see(database_url,
                                                                       api_clock):
    # Issue 13: any integrator used to see how many instances every caller had running.
    app, tokens = build_app(database_url, api_clock)
    try:
        client = Client(app.test_client(), tokens)
        deploy_generic(client)
        for n, who in enumerate(("crm", "crm", "hotline")):
            client.start(f"COUNT-{n}", as_=who)
        expected = {"crm": 2, "hotline": 1, "designer": 3, "manager": 3, "admin": 3}
        for who, count in expected.items():
            response = client.get(f"/api/v1/process-definitions/{GENERIC}/versions", who)
            assert response.status_code == 200, response.get_json()
            [version] = response.get_json()
            assert version["running_instances"] == count, who
    finally:
        dispose(app)
