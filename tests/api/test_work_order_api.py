"""Starting, following and working instances over HTTP: the generic engine API, on a
copy of one_department that is no work order's (the `generic` fixture)."""
from __future__ import annotations

from datetime import timedelta

from tests.orders import FORM_DATA, SUBMISSION


def test_list_and_read_definitions(client):
    response = client.get("/api/v1/process-definitions", "crm")
    assert response.status_code == 200
    assert {d["key"] for d in response.json} == {"single_dispatch", "one_department",
                                                 "two_department_relay"}
    detail = client.get("/api/v1/process-definitions/one_department", "designer").json
    assert detail["version"] == 1 and detail["start_form"] == "submit.json"
    assert "customer_phone" in detail["start_form_schema"]["properties"]
    assert client.get("/api/v1/process-definitions/one_department?version=7",
                      "designer").status_code == 404
    assert client.get("/api/v1/process-definitions/nope", "designer").status_code == 404


def test_start_returns_the_instance_with_its_first_stage(client, generic):
    response = client.post(f"/api/v1/process-definitions/{generic}/start", "crm",
                           json={"business_key": "WO-1", "variables": SUBMISSION})
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/process-instances/{body['id']}")
    assert (body["status"], body["version"], body["business_key"]) == ("running", 1, "WO-1")
    [task] = body["open_tasks"]
    assert (task["stage"], task["department"]) == ("dispatch", "front_desk")
    assert task["due_at"] == "2026-03-02T08:15:00+00:00"
    assert {t["kind"] for t in body["pending_timers"]} == {"stage", "department", "rung",
                                                         "deadline"}  # the order deadline
    assert body["variables"]["customer_phone"] == SUBMISSION["customer_phone"]


def test_retried_start_returns_the_same_instance(client, generic):
    first = client.start("WO-2")
    again = client.post(f"/api/v1/process-definitions/{generic}/start", "crm",
                        json={"business_key": "WO-2", "variables": SUBMISSION})
    assert again.status_code == 200 and again.json["id"] == first["id"]
    changed = client.post(f"/api/v1/process-definitions/{generic}/start", "crm",
                          json={"business_key": "WO-2",
                                "variables": {**SUBMISSION, "content": "other"}})
    assert changed.status_code == 409
    assert changed.headers["Content-Type"] == "application/problem+json"


def test_idempotency_key_header(client, generic):
    url = f"/api/v1/process-definitions/{generic}/start"
    body = {"business_key": "WO-3", "variables": SUBMISSION}
    first = client.post(url, "crm", json=body, headers={"Idempotency-Key": "k-1"})
    again = client.post(url, "crm", json=body, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    other = client.post(url, "crm", json={**body, "business_key": "WO-4"},
                        headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert "Idempotency-Key" in other.json["detail"]


def test_instances_list_filters_and_paginates(client, generic):
    ids = [client.start(f"WO-L{n}")["id"] for n in range(5)]
    client.start("WO-H1", as_="hotline")
    page = client.get("/api/v1/process-instances", "manager",
                      query_string={"per_page": 2, "page": 2}).json
    assert (page["total"], page["pages"], len(page["items"])) == (6, 3, 2)
    mine = client.get("/api/v1/process-instances", "crm").json
    assert mine["total"] == 5 and {i["id"] for i in mine["items"]} == set(ids)
    by_key = client.get("/api/v1/process-instances", "manager",
                        query_string={"business_key": "WO-L3"}).json
    assert [i["id"] for i in by_key["items"]] == [ids[3]]
    running = client.get("/api/v1/process-instances", "manager",
                         query_string={"status": "completed"}).json
    assert running["total"] == 0


def test_inbox_claim_complete_and_timeline(client, generic):
    instance = client.start("WO-5")
    inbox = client.inbox("front_desk")
    assert inbox["total"] == 1
    task = inbox["items"][0]
    assert task["form"] == "dispatch.json"
    assert task["form_schema"]["required"] == ["processing_department"]
    assert task["instructions"]
    assert task["seconds_remaining"] == 15 * 60 and task["overdue"] is False

    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim", "front_desk")
    assert claimed.status_code == 200 and claimed.json["assignee"] == "front_desk"
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                       json={"data": FORM_DATA["dispatch.json"]})
    assert done.status_code == 200
    assert done.json["state"] == "completed" and done.json["completed_by"] == "front_desk"

    assert client.inbox("front_desk")["total"] == 0
    assert [t["stage"] for t in client.inbox("network_ops")["items"]] == ["handle"]
    timeline = client.get(f"/api/v1/process-instances/{instance['id']}/timeline", "crm").json
    assert [e["type"] for e in timeline["events"]] == [
        "started", "task_ready", "claimed", "completed", "task_ready"]


def test_inbox_filters_sort_and_overdue(client, generic, api_clock):
    first = client.start("WO-6")
    api_clock.advance(timedelta(minutes=10))
    second = client.start("WO-7")
    # WO-6's dispatch is due first.
    items = client.inbox("front_desk")["items"]
    assert [t["business_key"] for t in items] == ["WO-6", "WO-7"]

    api_clock.advance(timedelta(minutes=6))  # WO-6 is now 1 min overdue
    overdue = client.inbox("front_desk", overdue="true")
    assert [t["business_key"] for t in overdue["items"]] == ["WO-6"]
    assert overdue["items"][0]["overdue"] is True
    assert overdue["items"][0]["seconds_remaining"] == -60
    assert [t["business_key"] for t in client.inbox("front_desk", overdue="false")["items"]] \
        == ["WO-7"]

    task_id = overdue["items"][0]["id"]
    client.post(f"/api/v1/tasks/{task_id}/claim", "front_desk")
    assert client.inbox("front_desk", unassigned="true")["total"] == 1
    assert client.inbox("front_desk", assignee="front_desk")["total"] == 1
    assert client.inbox("front_desk", business_key="WO-7")["items"][0]["instance_id"] == \
        second["id"]
    assert client.inbox("front_desk", process_key="single_dispatch")["total"] == 0
    assert client.inbox("front_desk", due_before="2026-03-02T08:20:00+00:00")["total"] == 1
    assert client.inbox("manager", department="front_desk")["total"] == 2
    assert first["id"] != second["id"]


def test_a_stage_past_its_limit_shows_as_overdue_in_that_departments_inbox(
        client, generic, engine, api_clock):
    instance = client.start("WO-8")
    task = client.inbox("front_desk")["items"][0]
    client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                json={"data": FORM_DATA["dispatch.json"]})
    api_clock.advance(timedelta(hours=2, seconds=1))
    engine.timers.fire_due_timers("test")

    [late] = client.inbox("network_ops", overdue="true")["items"]
    assert (late["stage"], late["instance_id"]) == ("handle", instance["id"])
    assert late["seconds_remaining"] == -1
    assert client.inbox("front_desk", overdue="true")["total"] == 0
    detail = client.get(f"/api/v1/process-instances/{instance['id']}", "manager").json
    assert detail["open_tasks"][0]["overdue"] is True
    events = client.get(f"/api/v1/process-instances/{instance['id']}/timeline",
                        "network_ops").json["events"]
    assert [e["stage"] for e in events if e["type"] == "stage_overdue"] == ["handle"]


def test_a_client_drives_an_order_from_the_answers_alone(client, api_clock):
    """Intake answers with the open stage (task id, department); each completion answers
    with the stages open after it: no inbox or detail read is needed to go on."""
    from tests.orders import FORM_DATA

    order = client.submit(category="network/call_drop/td",
                          key_fields={"location": "Binjiang",
                                      "network_generation": "td_scdma"})
    [stage] = order["open_stages"]
    assert stage["form"] == "dispatch_to_relay.json"
    task = {"id": stage["task_id"], "stage": stage["stage"],
            "department": stage["department"], "form": stage["form"]}
    choices = {"dispatch": {"relaying_department": "service_support_group"},
               "redispatch": {"processing_department": "network_operations"}}
    seen = []
    while task is not None:
        seen.append(task["stage"])
        data = choices.get(task["stage"]) or FORM_DATA[task["form"]]
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", task["department"],
                           json={"data": data})
        assert done.status_code == 200, done.json
        assert (done.json["id"], done.json["state"]) == (task["id"], "completed")
        nexts = done.json["next_tasks"]
        assert all(t["state"] == "open" and t["form_schema"] for t in nexts)
        task = nexts[0] if nexts else None
    assert seen == ["dispatch", "redispatch", "handle", "return_result", "relay_handle",
                    "relay_return", "audit", "feedback"]
    assert client.order(order["number"])["status"] == "closed"
