"""Helpers of the people tests: hire a staff member over the API, log them in."""
from __future__ import annotations

PASSWORD = "correct horse battery"


def hire(client, staff_id: str, roles: list[str], departments: list[str] | None = None,
         password: str = PASSWORD, expect: int = 201, **fields) -> dict:
    """POST /staff as the admin."""
    body = {"staff_id": staff_id, "name": fields.pop("name", f"Person {staff_id}"),
            "roles": roles, "departments": departments or [], "password": password, **fields}
    response = client.post("/api/v1/staff", "admin", json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def log_in(client, staff_id: str, password: str = PASSWORD, expect: int = 201,
           as_: str | None = None, **fields) -> dict:
    """POST /sessions; a token it gives is kept in client.tokens[as_ or staff_id]."""
    response = client.post("/api/v1/sessions", json={
        "staff_id": staff_id, "password": password, **fields})
    assert response.status_code == expect, response.get_json()
    answer = response.get_json()
    if expect == 201:
        client.tokens[as_ or staff_id] = answer["token"]
    return answer


def person(client, staff_id: str, roles: list[str], departments: list[str] | None = None,
           **login) -> str:
    """A staff member hired and logged in; the key of their token in client.tokens."""
    hire(client, staff_id, roles, departments)
    log_in(client, staff_id, **login)
    return staff_id
