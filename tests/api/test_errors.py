"""Every bad request gets a problem+json answer that says what and where, and changes
nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event
from werkzeug.exceptions import BadRequest

from api import work_orders
from engine.store.queries import InstanceFilter
from engine.workorders.service import WorkOrderFilter
from tests.api.conftest import GENERIC, ORDER, TO_NETWORK, act, notifications, work
from tests.orders import FORM_DATA, SUBMISSION

# The generic start, of a flow that is no work order's (the `generic` fixture deploys it).
START = f"/api/v1/process-definitions/{GENERIC}/start"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["instance"]
    return body


def _fields(body: dict) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body.get("errors", [])}


@pytest.fixture
def dispatch(client, generic):
    client.start("WO-E1")
    return client.inbox("front_desk")["items"][0]


def test_missing_or_bad_token_is_401(client):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        body = _problem(client.get("/api/v1/tasks", headers=headers), 401)
        assert "bearer token" in body["detail"]
    assert client.get("/api/v1/tasks", headers={}).headers["WWW-Authenticate"].lower() \
        .startswith("bearer")


def test_malformed_json_is_400(client):
    response = client.post(START, "crm", data=b'{"business_key": ',
                           content_type="application/json")
    assert "JSON" in _problem(response, 400)["detail"]


def test_unknown_fields_and_wrong_types_are_422_per_field(client, generic, engine):
    response = client.post(START, "crm", json={"business_key": 42, "variables": [],
                                               "colour": "red"})
    fields = _fields(_problem(response, 422))
    assert set(fields) == {"body.business_key", "body.variables", "body.colour"}
    assert "Unknown field" in fields["body.colour"]
    assert engine.reads.search_instances(InstanceFilter()).total == 0


def test_missing_body_fields_are_422(client):
    fields = _fields(_problem(client.post(START, "crm", json={}), 422))
    assert fields == {"body.business_key": "Missing data for required field."}


def test_bad_query_parameters_are_422(client):
    response = client.get("/api/v1/tasks", "manager",
                          query_string={"per_page": 1000, "overdue": "maybe", "x": "1"})
    fields = _fields(_problem(response, 422))
    assert set(fields) == {"query.per_page", "query.overdue", "query.x"}


@pytest.mark.parametrize(("path", "who", "field"), [
    ("/api/v1/process-instances?page=5803424002484866440495104", "manager", "query.page"),
    ("/api/v1/tasks?page=99999999999999999999", "manager", "query.page"),
    ("/api/v1/process-definitions/one_department?version=10000000000000000000", "designer",
     "query.version"),
])
def test_numbers_too_large_for_the_database_are_422(client, path, who, field):
    assert set(_fields(_problem(client.get(path, who), 422))) == {field}


@pytest.mark.parametrize("path", [
    "/api/v1/process-definitions/one_department/versions/1052617147706/bpmn",
    "/api/v1/decisions/routing/versions/99999999999999999999/dmn",
])
def test_versions_beyond_any_integer_column_are_404(client, path):
    _problem(client.get(path, "designer"), 404)


def test_start_form_violations_are_422_with_field_paths(client, generic, engine):
    body = _problem(client.post(START, "crm", json={
        "business_key": "WO-E2", "variables": {**SUBMISSION, "customer_phone": "12345"}}), 422)
    assert _fields(body) == {
        "variables.customer_phone": "must be an 11-digit mainland China mobile number"}
    assert engine.reads.find_instance(GENERIC, "WO-E2") is None


def test_oversize_body_is_413(client, generic):
    huge = {"business_key": "WO-E3", "variables": {**SUBMISSION, "content": "x" * 2_000_000}}
    _problem(client.post(START, "crm", json=huge), 413)


def test_unknown_definition_instance_and_task_are_404(client):
    _problem(client.post("/api/v1/process-definitions/nope/start", "crm",
                         json={"business_key": "X"}), 404)
    _problem(client.get("/api/v1/process-instances/nope", "manager"), 404)
    _problem(client.get("/api/v1/tasks/nope", "manager"), 404)
    _problem(client.post("/api/v1/tasks/nope/claim", "front_desk"), 404)
    _problem(client.get("/api/v1/no-such-thing", "manager"), 404)


def test_wrong_method_is_405_with_allow(client):
    response = client.call("DELETE", "/api/v1/tasks", "manager")
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_form_data_errors_leave_the_task_open(client, dispatch):
    body = _problem(client.post(f"/api/v1/tasks/{dispatch['id']}/complete", "front_desk",
                                json={"data": {"processing_department": "",
                                               "extra": 1}}), 422)
    fields = _fields(body)
    assert set(fields) == {"data.processing_department", "data.extra"}
    assert client.get(f"/api/v1/tasks/{dispatch['id']}", "front_desk").json["state"] == "open"


def test_completing_twice_is_409(client, dispatch):
    url = f"/api/v1/tasks/{dispatch['id']}/complete"
    assert client.post(url, "front_desk", json={"data": FORM_DATA["dispatch.json"]}) \
        .status_code == 200
    body = _problem(client.post(url, "front_desk", json={"data": FORM_DATA["dispatch.json"]}),
                    409)
    assert "already completed" in body["detail"]


def test_claimed_by_someone_else_is_409(client, app, dispatch):
    from api import process_engine
    from api.auth import create_token

    engine = process_engine(app)
    with engine.sessions() as session, session.begin():
        colleague = create_token(session, name="front_desk.bob", role="department",
                                 department="front_desk", now=engine.clock.now())
    client.tokens["bob"] = colleague
    assert client.post(f"/api/v1/tasks/{dispatch['id']}/claim", "front_desk").status_code == 200
    body = _problem(client.post(f"/api/v1/tasks/{dispatch['id']}/claim", "bob"), 409)
    assert "claimed by 'front_desk'" in body["detail"]
    _problem(client.post(f"/api/v1/tasks/{dispatch['id']}/complete", "bob",
                         json={"data": FORM_DATA["dispatch.json"]}), 409)
    _problem(client.post(f"/api/v1/tasks/{dispatch['id']}/unclaim", "bob"), 409)


def test_another_departments_task_is_404_and_its_inbox_403(client, dispatch):
    _problem(client.get(f"/api/v1/tasks/{dispatch['id']}", "billing"), 404)
    _problem(client.post(f"/api/v1/tasks/{dispatch['id']}/claim", "billing"), 404)
    _problem(client.post(f"/api/v1/tasks/{dispatch['id']}/complete", "billing",
                         json={"data": FORM_DATA["dispatch.json"]}), 404)
    _problem(client.get("/api/v1/tasks", "billing", query_string={"department": "front_desk"}),
             403)
    assert client.inbox("billing")["total"] == 0
    assert client.get(f"/api/v1/tasks/{dispatch['id']}", "front_desk").json["state"] == "open"


def test_role_check_comes_before_body_validation(client):
    body = _problem(client.post(START, "front_desk", data=b"not json",
                                content_type="application/json"), 403)
    assert "role 'department'" in body["detail"]


def test_openapi_document_is_public_and_describes_the_api(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    complete = spec["paths"]["/api/v1/tasks/{task_id}/complete"]["post"]
    assert "requestBody" in complete and "200" in complete["responses"]
    assert "TaskSchema" in str(spec["components"]["schemas"]) or "Task" in str(
        spec["components"]["schemas"])


def test_health_checks_need_no_token(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


@pytest.mark.parametrize("body", [
    b"[" * 100_000,
    b'{"business_key": "X", "variables": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}",
])
def test_deeply_nested_json_is_400(client, body):
    body_problem = _problem(client.post(START, "crm", data=body,
                                        content_type="application/json"), 400)
    assert "nested deeper" in body_problem["detail"]


def test_nested_json_within_the_limit_is_fine(client, dispatch):
    nested = {"level": 1}
    for level in range(2, 20):
        nested = {"level": level, "inner": nested}
    response = client.post("/api/v1/messages", "crm", json={
        "name": "nothing", "business_key": "WO-E1", "payload": nested})
    assert response.status_code == 404  # parsed fine; just nobody waiting for it


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_instants_at_the_ends_of_the_calendar_are_422(client, value):
    response = client.get("/api/v1/tasks", "manager", query_string={"due_before": value})
    assert _fields(_problem(response, 422)) == {"query.due_before": "is out of range"}


def test_nul_characters_are_refused(client, generic):
    assert "NUL" in _problem(client.get("/api/v1/tasks/abc%00def", "manager"), 400)["detail"]
    _problem(client.get("/api/v1/tasks?business_key=a%00b", "manager"), 400)
    _problem(client.post(START, "crm", json={"business_key": "a\x00b",
                                            "variables": SUBMISSION}), 400)
    _problem(client.post(START, "crm", json={"business_key": "ok", "variables": SUBMISSION},
                         headers={"Idempotency-Key": "k\x00"}), 400)
    body = _problem(client.post(START, "crm", json={
        "business_key": "ok", "variables": {**SUBMISSION, "acceptance_department": "a\x00"}}),
        400)
    assert "NUL" in body["detail"]


@pytest.mark.parametrize(("path", "body"), [
    ("/api/v1/work-orders", '{"customer_phone": "13912345678", "content": "\\ud800"}'),
    (START, '{"business_key": "S-1", "variables": {"\\udfff": 1}}'),
])
def test_an_unpaired_surrogate_is_refused_before_anything_reads_it(client, path, body):
    response = client.post(path, "crm", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "unpaired UTF-16 surrogate" in response.json["detail"]
    paired = client.post("/api/v1/work-orders", "crm", data='{"content": "\\ud83d\\ude00"}',
                         headers={"Content-Type": "application/json"})
    assert paired.status_code == 422  # a whole pair is a character (😀): other fields missing


# Issue 13: numbers no database column or JSON text can hold are refused at the edge,
# naming the field; nothing is stored.
BILLING_ORDER = {
    "customer_phone": "13912345678", "category": "billing/disputed_charge/data_charge",
    "content": "Charged for data I did not use.", "channel": "hotline",
    "acceptance_department": "front_desk",
}


def _refused_fields(response) -> dict[str, str]:
    body = _problem(response, 400)
    assert body["type"] == "about:blank" and body["title"] == "Bad Request"
    return _fields(body)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_finite_key_field_is_400_naming_it(client, app, amount):
    # NaN passes every numeric bound (each comparison with it is false): it used to be
    # stored, as bare NaN on SQLite (invalid JSON) and a 500 on PostgreSQL.
    body = json.dumps({**BILLING_ORDER, "key_fields": {"bill_month": "2026-02",
                                                        "disputed_amount": 0}})
    body = body.replace('"disputed_amount": 0', f'"disputed_amount": {amount}')
    response = client.post("/api/v1/work-orders", "crm", data=body,
                           content_type="application/json")
    assert _refused_fields(response) == {
        "body.key_fields.disputed_amount":
            "is not a finite number (NaN and Infinity are not JSON numbers)"}
    assert work_orders(app).search(WorkOrderFilter(), 1, 20).total == 0
    ok = client.post("/api/v1/work-orders", "crm",
                     data=body.replace(f'"disputed_amount": {amount}', '"disputed_amount": 12.5'),
                     content_type="application/json")
    assert ok.status_code == 201, ok.json


def test_non_finite_numbers_in_form_data_and_payloads_are_400_naming_each(client, dispatch):
    complete = f"/api/v1/tasks/{dispatch['id']}/complete"
    response = client.post(complete, "front_desk", content_type="application/json",
                           data='{"data": {"processing_department": "network_ops", '
                                '"weights": [1, NaN, {"x": -Infinity}]}}')
    assert _refused_fields(response) == {
        "body.data.weights.1": "is not a finite number (NaN and Infinity are not JSON numbers)",
        "body.data.weights.2.x": "is not a finite number (NaN and Infinity are not JSON numbers)"}
    assert client.get(f"/api/v1/tasks/{dispatch['id']}", "front_desk").json["state"] == "open"
    response = client.post("/api/v1/messages", "crm", content_type="application/json",
                           data='{"name": "nothing", "business_key": "WO-E1", '
                                '"payload": {"reading": NaN}}')
    assert set(_refused_fields(response)) == {"body.payload.reading"}
    response = client.post(START, "crm", content_type="application/json", data="NaN")
    assert set(_refused_fields(response)) == {"body"}


@pytest.mark.parametrize(("path", "who", "template", "field"), [
    (START, "crm", '{"business_key": "BIG", "version": %s}', "body.version"),
    ("/api/v1/work-orders", "crm", '{"customer_phone": %s}', "body.customer_phone"),
    ("/api/v1/decisions/routing/evaluate", "designer", '{"inputs": {"n": [%s]}}',
     "body.inputs.n.0"),
    ("/api/v1/messages", "crm", '{"name": "n", "business_key": "b", "payload": {"n": -%s}}',
     "body.payload.n"),
])
def test_an_integer_past_4300_digits_is_400_not_500(client, generic, path, who, template,
                                                    field):
    # Python refuses to convert an integer of more than 4,300 digits (a ValueError that
    # is no JSON syntax error): every JSON endpoint used to answer 500.
    response = client.post(path, who, data=template % ("9" * 4301),
                           content_type="application/json")
    assert _refused_fields(response) == {
        field: "is an integer with more digits than any field takes"}
    fine = client.post(path, who, data=template % ("9" * 4300),
                       content_type="application/json")
    assert fine.status_code < 500


def test_malformed_json_holding_a_huge_integer_is_400(client):
    response = client.post(START, "crm", data='{"business_key": "B", "version": ' + "9" * 5000,
                           content_type="application/json")
    assert "not valid JSON" in _problem(response, 400)["detail"]


def test_an_empty_json_body_is_no_body(client, dispatch):
    response = client.post(f"/api/v1/tasks/{dispatch['id']}/claim", "front_desk", data=b"",
                           content_type="application/json")
    assert response.status_code == 200, response.json


def test_request_get_json_is_as_strict(app):
    with app.test_request_context("/", method="POST", data='{"a": NaN}',
                                  content_type="application/json"):
        from flask import request
        with pytest.raises(BadRequest):
            request.get_json()
        assert request.get_json(silent=True) is None


# Issue 13: a database that cannot be reached is a 503 the client may retry, and the
# pool carries on once it is back.
def _database(app):
    from api.extensions import db

    with app.app_context():
        return db.engine


def _unavailable(response) -> dict:
    body = _problem(response, 503)
    assert body["type"] == "/problems/database-unavailable"
    assert "Retry-After" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0
    return body


def test_no_connection_to_the_database_is_503_with_retry_after(client, app):
    database = _database(app)
    database.dispose()  # the next request needs a new connection

    def refuse(dialect, connection_record, cargs, cparams):
        raise dialect.loaded_dbapi.OperationalError("could not connect to the server")

    event.listen(database, "do_connect", refuse)
    try:
        _unavailable(client.get("/api/v1/tasks", "manager"))
        _unavailable(client.post("/api/v1/work-orders", "crm", json=ORDER))
        ready = client.get("/readyz")
        assert ready.status_code == 503 and int(ready.headers["Retry-After"]) > 0
    finally:
        event.remove(database, "do_connect", refuse)
    assert client.get("/api/v1/tasks", "manager").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_a_connection_dropped_under_a_request_is_503_and_the_pool_recovers(client, app):
    database = _database(app)

    def drop(dbapi_connection, connection_record, connection_proxy):
        dbapi_connection.close()  # as a database restart or a network cut would

    event.listen(database, "checkout", drop, once=True)
    _unavailable(client.get("/api/v1/tasks", "manager"))
    assert client.get("/api/v1/tasks", "manager").status_code == 200


def test_no_free_connection_in_the_pool_is_503(client, app, monkeypatch):
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    def exhausted(*args, **kwargs):
        raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached")

    monkeypatch.setattr(work_orders(app), "search", exhausted)
    _unavailable(client.get("/api/v1/work-orders", "manager"))


def test_other_database_errors_stay_500(client, app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("no such table: work_orders"))

    monkeypatch.setattr(work_orders(app), "search", broken)
    response = client.get("/api/v1/work-orders", "manager")
    assert _problem(response, 500)["detail"] == \
        "An unexpected error occurred; it has been logged."
    assert "Retry-After" not in response.headers


# Issue 13: an item the caller may not see and one that does not exist answer alike.
def _same_answer(hidden, absent, hidden_id: str, absent_id: str) -> None:
    assert hidden.status_code == absent.status_code == 404
    assert hidden.headers["Content-Type"] == absent.headers["Content-Type"] == \
        "application/problem+json"
    one, other = hidden.json, absent.json
    assert one.keys() == other.keys()
    assert one["type"] == other["type"] == "/problems/not-found"
    assert one["title"] == other["title"]
    assert one["detail"].replace(hidden_id, "ID") == other["detail"].replace(absent_id, "ID")


def test_hidden_and_absent_items_are_indistinguishable(client, dispatch):
    order = client.submit()  # by crm, accepted by front_desk, handled by network_operations
    work(client, order["number"], "front_desk", TO_NETWORK)
    act(client, order["number"], "front_desk", "urge")  # tells network_operations
    [note] = notifications(client, "network_operations")
    instance_id = dispatch["instance_id"]
    for method, path, who, hidden_id in [
        ("GET", "/api/v1/tasks/{}", "billing", dispatch["id"]),
        ("POST", "/api/v1/tasks/{}/claim", "billing", dispatch["id"]),
        ("GET", "/api/v1/process-instances/{}", "hotline", instance_id),
        ("GET", "/api/v1/process-instances/{}/timeline", "billing", instance_id),
        ("GET", "/api/v1/work-orders/{}", "hotline", order["number"]),
        ("POST", "/api/v1/work-orders/{}/urge", "billing", order["number"]),
        ("POST", "/api/v1/notifications/{}/read", "billing", str(note["id"])),
    ]:
        absent_id = hidden_id[:-1] + "9" if hidden_id.isdigit() else hidden_id[:-3] + "zzz"
        _same_answer(client.call(method, path.format(hidden_id), who, json={}),
                     client.call(method, path.format(absent_id), who, json={}),
                     hidden_id, absent_id)


def test_a_path_that_names_nothing_is_the_same_not_found(client):
    body = _problem(client.get("/api/v1/no-such-thing", "manager"), 404)
    assert body["type"] == "/problems/not-found" and body["title"] == "Not Found"


# Issue 13: the OpenAPI document says what the API does.
def test_the_openapi_document_is_true_about_errors_health_and_uploads(client):
    spec = client.get("/api/v1/openapi.json").json
    for name, response in spec["components"]["responses"].items():
        if "content" in response:
            assert list(response["content"]) == ["application/problem+json"], name
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if (status == "default" or status[0] in "45") and "content" in response:
                    assert list(response["content"]) == ["application/problem+json"], \
                        (method, path, status)
    assert spec["security"] == [{"bearer": []}]
    for path in ("/healthz", "/readyz"):
        assert spec["paths"][path]["get"]["security"] == []
        assert client.get(path).status_code == 200  # and they are indeed public
    upload = spec["paths"]["/api/v1/deployments"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["files"]["minItems"] == 1
