"""Every bad request gets a problem+json answer that says what and where, and changes
nothing."""
from __future__ import annotations

import pytest

from engine.store.queries import InstanceFilter
from tests.orders import FORM_DATA, SUBMISSION

START = "/api/v1/process-definitions/one_department/start"


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"] and body["instance"]
    return body


def _fields(body: dict) -> dict[str, str]:
    return {e["field"]: e["message"] for e in body.get("errors", [])}


@pytest.fixture
def dispatch(client):
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


def test_unknown_fields_and_wrong_types_are_422_per_field(client, engine):
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


def test_start_form_violations_are_422_with_field_paths(client, engine):
    body = _problem(client.post(START, "crm", json={
        "business_key": "WO-E2", "variables": {**SUBMISSION, "customer_phone": "12345"}}), 422)
    assert _fields(body) == {
        "variables.customer_phone": "must be an 11-digit mainland China mobile number"}
    assert engine.reads.find_instance("one_department", "WO-E2") is None


def test_oversize_body_is_413(client):
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


def test_nul_characters_are_refused(client):
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
    ("/api/v1/process-definitions/one_department/start",
     '{"business_key": "S-1", "variables": {"\\udfff": 1}}'),
])
def test_an_unpaired_surrogate_is_refused_before_anything_reads_it(client, path, body):
    response = client.post(path, "crm", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "unpaired UTF-16 surrogate" in response.json["detail"]
    paired = client.post("/api/v1/work-orders", "crm", data='{"content": "\\ud83d\\ude00"}',
                         headers={"Content-Type": "application/json"})
    assert paired.status_code == 422  # a whole pair is a character (😀): other fields missing
