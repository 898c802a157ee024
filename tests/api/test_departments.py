"""The department directory over the API, and form fields pointing at it (issue 15)."""
from __future__ import annotations

import json

from tests.api.conftest import test_data_dir as data_dir


def _directory() -> list[dict]:
    with open(f"{data_dir()}/departments.json", encoding="utf-8") as file:
        return json.load(file)["departments"]


def test_every_caller_lists_the_directory_as_the_file_has_it(client):
    for who in ("crm", "front_desk", "designer", "manager", "admin"):
        response = client.get("/api/v1/departments", who)
        assert response.status_code == 200, who
    listed = {d["id"]: d for d in response.get_json()}
    assert list(listed) == [d["id"] for d in _directory()]
    for entry in _directory():
        got = listed[entry["id"]]
        assert got["roles"] == entry["roles"]
        assert got["supervisor"] == entry.get("supervisor")
        assert got["supervises"] == sorted(d["id"] for d in _directory()
                                           if d.get("supervisor") == entry["id"])
    assert listed["billing"]["names"] == {"en": "Billing", "zh": "计费账务中心"}
    assert listed["front_desk"]["names"] == {"en": "Front desk", "zh": None}
    assert client.get("/api/v1/departments").status_code == 401


def test_the_directory_filters_by_lane_and_reads_one(client):
    processing = client.get("/api/v1/departments?role=processing", "crm").get_json()
    assert {d["id"] for d in processing} == {
        d["id"] for d in _directory() if "processing" in d["roles"]}
    one = client.get("/api/v1/departments/network_operations", "crm").get_json()
    assert one["names"]["zh"] == "网络部" and one["supervisor"] == "operations_supervisors"
    response = client.get("/api/v1/departments/nowhere", "crm")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_dispatch_form_names_where_its_department_choices_come_from(client):
    number = client.submit()["number"]
    [task] = client.inbox("front_desk", business_key=number)["items"]
    field = task["form_schema"]["properties"]["processing_department"]
    assert field["x-choices-from"] == "/api/v1/departments?role=processing"
    offered = client.get(field["x-choices-from"], "front_desk").get_json()
    assert field["enum"] == [d["id"] for d in offered]
    # What the form offers is what a completion takes; anything else is refused.
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                          json={"data": {"processing_department": "front_desk"}})
    assert refused.status_code == 422
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk", json={
        "data": {"processing_department": field["enum"][0]}}).status_code == 200
