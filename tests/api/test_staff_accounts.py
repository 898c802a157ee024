"""Staff accounts (issue 15): created by administrators, login with short-lived tokens,
lockout after repeated failures, password change; API tokens keep working."""
from __future__ import annotations

from datetime import timedelta

from engine.people.models import Staff
from tests.api.conftest import work
from tests.api.people import PASSWORD, hire, log_in, person


def test_an_admin_creates_staff_and_the_password_is_stored_as_an_argon2_hash(client, engine):
    created = hire(client, "E1001", ["handler"], ["network_ops"], name="王小明",
                   email="wang@example.com", phone="+86 571 1234")
    assert created["staff_id"] == "E1001" and created["name"] == "王小明"
    assert created["departments"] == ["network_ops"] and created["roles"] == ["handler"]
    assert "password" not in created and "password_hash" not in created
    with engine.reading() as session:
        stored = session.get(Staff, "E1001").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    listed = client.get("/api/v1/staff?department=network_ops", "admin").get_json()
    assert [p["staff_id"] for p in listed] == ["E1001"]


def test_bad_staff_fields_are_each_named_and_nothing_is_created(client):
    response = client.post("/api/v1/staff", "admin", json={
        "staff_id": "../x", "name": "X", "roles": ["handler"],
        "departments": ["nowhere"], "password": "short"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"body.staff_id", "body.departments.0", "body.password"} <= fields
    response = client.post("/api/v1/staff", "admin", json={
        "staff_id": "E9", "name": "X", "roles": ["handler"], "password": PASSWORD})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["body.departments"]
    assert client.get("/api/v1/staff", "admin").get_json() == []
    hire(client, "E9", ["manager"])
    assert client.post("/api/v1/staff", "admin", json={
        "staff_id": "E9", "name": "Y", "roles": ["manager"],
        "password": PASSWORD}).status_code == 409


def test_only_admins_create_staff(client):
    for who in ("manager", "front_desk", "crm", "designer"):
        response = client.post("/api/v1/staff", who, json={
            "staff_id": "E1", "name": "X", "roles": ["admin"], "password": PASSWORD})
        assert response.status_code == 403, who
    person(client, "S1", ["supervisor", "handler"], ["network_ops"])
    response = client.post("/api/v1/staff", "S1", json={
        "staff_id": "E1", "name": "X", "roles": ["admin"], "password": PASSWORD})
    assert response.status_code == 403


def test_a_handler_logs_in_and_acts_for_its_department_named_on_the_timeline(client):
    person(client, "E1001", ["handler"], ["front_desk"])
    number = client.submit(as_="E1001")["number"]
    [started] = [e for e in client.order(number)["timeline"] if e["type"] == "started"]
    assert (started["actor"], started["department"]) == ("E1001", "front_desk")
    inbox = client.inbox("E1001")
    assert [t["business_key"] for t in inbox["items"]] == [number]
    work(client, number, "E1001", {"processing_department": "network_ops"})
    timeline = client.order(number)["timeline"]
    [completed] = [e for e in timeline if e["type"] == "completed"]
    assert completed["actor"] == "E1001" and completed["department"] == "front_desk"
    # Every entry a person made names the department they acted for.
    assert all(e["department"] == "front_desk" for e in timeline if e["actor"] == "E1001")
    # Another department's order is not there for them.
    assert client.get("/api/v1/tasks?department=network_ops", "E1001").status_code == 403


def test_a_login_of_several_departments_chooses_one_and_roles_act_as_themselves(client):
    hire(client, "E2", ["handler", "manager"], ["front_desk", "network_ops"])
    assert log_in(client, "E2")["department"] == "front_desk"
    answer = log_in(client, "E2", department="network_ops")
    assert (answer["role"], answer["department"]) == ("department", "network_ops")
    answer = log_in(client, "E2", acting_as="manager", as_="E2-manager")
    assert (answer["role"], answer["department"]) == ("manager", None)
    assert client.get("/api/v1/reports/kpi?year=2026&month=3", "E2-manager").status_code == 200
    assert client.get("/api/v1/reports/kpi?year=2026&month=3", "E2").status_code == 403
    refused = log_in(client, "E2", department="billing", expect=422)
    assert [e["field"] for e in refused["errors"]] == ["body.department"]
    refused = log_in(client, "E2", acting_as="admin", expect=422)
    assert [e["field"] for e in refused["errors"]] == ["body.acting_as"]


def test_wrong_passwords_lock_the_account_until_the_lockout_passes(client, api_clock):
    hire(client, "E3", ["handler"], ["front_desk"])
    unknown = log_in(client, "nobody", expect=401)
    for _ in range(4):
        assert log_in(client, "E3", "wrong password!", expect=401)["detail"] \
            == unknown["detail"]  # an unknown id and a wrong password look alike
    locked = log_in(client, "E3", "wrong password!", expect=423)
    assert "locked until" in locked["detail"]
    log_in(client, "E3", expect=423)  # even the right password, while locked
    api_clock.advance(timedelta(minutes=14, seconds=59))
    log_in(client, "E3", expect=423)
    api_clock.advance(timedelta(seconds=2))
    log_in(client, "E3")
    # A success resets the count: four more failures do not lock it.
    for _ in range(4):
        log_in(client, "E3", "wrong password!", expect=401)
    log_in(client, "E3")


def test_an_admin_unlocks_an_account(client):
    hire(client, "E4", ["handler"], ["front_desk"])
    for _ in range(5):
        log_in(client, "E4", "wrong password!", expect=(423 if _ == 4 else 401))
    assert client.get("/api/v1/staff/E4", "admin").get_json()["locked_until"]
    response = client.call("PATCH", "/api/v1/staff/E4", "admin", json={"unlock": True})
    assert response.status_code == 200 and response.get_json()["locked_until"] is None
    log_in(client, "E4")


def test_a_token_expires_after_its_lifetime(client, api_clock):
    person(client, "E5", ["handler"], ["front_desk"])
    answer = log_in(client, "E5")
    assert answer["expires_at"].startswith("2026-03-02T09:00:00")
    api_clock.advance(timedelta(minutes=59))
    assert client.get("/api/v1/tasks", "E5").status_code == 200
    api_clock.advance(timedelta(minutes=1))
    response = client.get("/api/v1/tasks", "E5")
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    # API tokens (integrators, departments) do not expire.
    assert client.get("/api/v1/tasks", "front_desk").status_code == 200


def test_logout_ends_the_token(client):
    person(client, "E6", ["handler"], ["front_desk"])
    assert client.call("DELETE", "/api/v1/sessions/current", "E6").status_code == 204
    assert client.get("/api/v1/tasks", "E6").status_code == 401


def test_a_person_changes_their_password_and_their_other_sessions_end(client):
    person(client, "E7", ["handler"], ["front_desk"])
    log_in(client, "E7", as_="E7-other")
    wrong = client.post("/api/v1/staff/me/password", "E7", json={
        "current_password": "not it at all", "new_password": "a new long password"})
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.get_json()["errors"]] == ["body.current_password"]
    short = client.post("/api/v1/staff/me/password", "E7", json={
        "current_password": PASSWORD, "new_password": "short"})
    assert [e["field"] for e in short.get_json()["errors"]] == ["body.new_password"]
    assert client.get("/api/v1/tasks", "E7-other").status_code == 200
    done = client.post("/api/v1/staff/me/password", "E7", json={
        "current_password": PASSWORD, "new_password": "a new long password"})
    assert done.status_code == 204
    assert client.get("/api/v1/tasks", "E7").status_code == 200  # this one stays
    assert client.get("/api/v1/tasks", "E7-other").status_code == 401
    log_in(client, "E7", expect=401)
    log_in(client, "E7", "a new long password")
    assert client.get("/api/v1/staff/me", "E7").get_json()["staff_id"] == "E7"
    # An API token has no account of its own.
    assert client.get("/api/v1/staff/me", "front_desk").status_code == 403


def test_disabling_an_account_or_taking_its_department_ends_its_sessions(client):
    person(client, "E8", ["handler"], ["front_desk", "network_ops"])
    log_in(client, "E8", department="network_ops", as_="E8-network")
    response = client.call("PATCH", "/api/v1/staff/E8", "admin",
                           json={"departments": ["front_desk"]})
    assert response.status_code == 200
    assert client.get("/api/v1/tasks", "E8").status_code == 200
    assert client.get("/api/v1/tasks", "E8-network").status_code == 401
    client.call("PATCH", "/api/v1/staff/E8", "admin", json={"disabled": True})
    assert client.get("/api/v1/tasks", "E8").status_code == 401
    log_in(client, "E8", expect=401)


def test_flask_staff_creates_lists_resets_and_disables_accounts(app, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "A1", "--name", "First admin",
                                 "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert log_in(client, "A1")["role"] == "admin"
    result = runner.invoke(args=["staff", "create", "H1", "--name", "Handler",
                                 "--role", "handler", "--department", "nowhere",
                                 "--password", PASSWORD])
    assert result.exit_code != 0 and "departments.0" in result.output
    result = runner.invoke(args=["staff", "create", "H1", "--name", "Handler",
                                 "--role", "handler", "--department", "front_desk",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(args=["staff", "list"]).output.splitlines()
    assert [line.split()[0] for line in listed] == ["A1", "H1"]
    result = runner.invoke(args=["staff", "set-password", "H1", "--password",
                                 "another long password"])
    assert result.exit_code == 0, result.output
    log_in(client, "H1", expect=401)
    log_in(client, "H1", "another long password")
    assert runner.invoke(args=["staff", "disable", "H1"]).exit_code == 0
    assert client.get("/api/v1/tasks", "H1").status_code == 401
    assert "disabled" in runner.invoke(args=["staff", "list"]).output
