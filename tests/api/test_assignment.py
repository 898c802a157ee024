"""Assignment (issue 15): a supervisor assigns or reassigns an open stage to a handler
of its department; a dispatch may name the handler; inboxes show "mine" and the
department's unassigned; per-handler figures on a generated history."""
from __future__ import annotations

import random
import statistics
from datetime import datetime, timedelta

from tests.api.conftest import TO_NETWORK, act, events
from tests.api.people import hire, log_in, person
from tests.orders import FORM_DATA


def _stage(client, number: str, department: str) -> dict:
    [task] = client.inbox(department, business_key=number)["items"]
    return task


def _assign(client, task_id: str, staff_id: str, as_: str, expect: int = 200) -> dict:
    response = client.post(f"/api/v1/tasks/{task_id}/assign", as_,
                           json={"staff_id": staff_id})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _complete(client, task: dict, as_: str, data: dict | None = None, expect: int = 200,
              **body) -> dict:
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", as_,
                           json={"data": data or FORM_DATA[task["form"]], **body})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_a_supervisor_assigns_and_reassigns_within_its_department(client):
    person(client, "SUP", ["supervisor"], ["front_desk"])
    person(client, "H1", ["handler"], ["front_desk"])
    person(client, "H2", ["handler"], ["front_desk"])
    number = client.submit()["number"]
    task = _stage(client, number, "front_desk")
    assert _assign(client, task["id"], "H1", "SUP")["assignee"] == "H1"
    # Only H1 works it now; H2 sees it neither as theirs nor as unassigned.
    assert [t["id"] for t in client.inbox("H1", mine=True)["items"]] == [task["id"]]
    assert client.inbox("H2", mine=True, unassigned=True)["items"] == []
    _complete(client, task, "H2", TO_NETWORK, expect=409)
    assert _assign(client, task["id"], "H2", "SUP")["assignee"] == "H2"
    _complete(client, task, "H1", TO_NETWORK, expect=409)
    _complete(client, task, "H2", TO_NETWORK)
    assigned = events(client.order(number), "assigned")
    assert [(e["actor"], e["department"], e["detail"]["assignee"],
             e["detail"]["previous_assignee"]) for e in assigned] == [
        ("SUP", "front_desk", "H1", None), ("SUP", "front_desk", "H2", "H1")]
    [completed] = [e for e in client.order(number)["timeline"] if e["type"] == "completed"]
    assert (completed["actor"], completed["department"]) == ("H2", "front_desk")


def test_who_may_assign_and_to_whom(client):
    person(client, "SUP", ["supervisor"], ["front_desk"])
    person(client, "NSUP", ["supervisor"], ["network_ops"])
    person(client, "H1", ["handler"], ["front_desk"])
    hire(client, "NH", ["handler"], ["network_ops"])
    task = _stage(client, client.submit()["number"], "front_desk")
    # Another department's supervisor does not see the stage; a handler and a
    # department's shared token may not assign.
    _assign(client, task["id"], "H1", "NSUP", expect=404)
    _assign(client, task["id"], "H1", "H1", expect=403)
    _assign(client, task["id"], "H1", "front_desk", expect=403)
    # Only a handler of the stage's department takes it.
    refused = _assign(client, task["id"], "NH", "SUP", expect=422)
    assert [e["field"] for e in refused["errors"]] == ["body.staff_id"]
    _assign(client, task["id"], "nobody", "SUP", expect=422)
    assert _stage(client, task["business_key"], "front_desk")["assignee"] is None
    assert _assign(client, task["id"], "H1", "admin")["assignee"] == "H1"


def test_a_dispatch_names_the_handler_who_takes_the_order(client):
    person(client, "F1", ["handler"], ["front_desk"])
    hire(client, "NH", ["handler"], ["network_ops"])
    hire(client, "FH", ["handler"], ["front_desk"])
    number = client.submit()["number"]
    dispatch = _stage(client, number, "front_desk")
    to_network_ops = FORM_DATA["dispatch.json"]
    refused = _complete(client, dispatch, "F1", to_network_ops, next_assignee="FH",
                        expect=422)
    assert [e["field"] for e in refused["errors"]] == ["body.next_assignee"]
    assert _stage(client, number, "front_desk")["state"] == "open"  # nothing changed
    done = _complete(client, dispatch, "F1", to_network_ops, next_assignee="NH")
    [handle] = done["next_tasks"]
    assert (handle["department"], handle["assignee"]) == ("network_ops", "NH")
    log_in(client, "NH")
    assert [t["id"] for t in client.inbox("NH", mine=True)["items"]] == [handle["id"]]
    [assigned] = events(client.order(number), "assigned")
    assert (assigned["actor"], assigned["detail"]["assignee"]) == ("F1", "NH")


def test_a_handlers_inbox_shows_its_own_and_the_departments_unassigned(client):
    person(client, "SUP", ["supervisor"], ["front_desk"])
    person(client, "H1", ["handler"], ["front_desk"])
    person(client, "H2", ["handler"], ["front_desk"])
    tasks = [_stage(client, client.submit(external_reference=f"IN-{n}")["number"],
                    "front_desk") for n in range(3)]
    _assign(client, tasks[0]["id"], "H1", "SUP")
    _assign(client, tasks[1]["id"], "H2", "SUP")
    ids = {t["id"] for t in client.inbox("H1", mine=True, unassigned=True)["items"]}
    assert ids == {tasks[0]["id"], tasks[2]["id"]}
    assert [t["id"] for t in client.inbox("H1", mine=True)["items"]] == [tasks[0]["id"]]
    assert [t["id"] for t in client.inbox("H1", unassigned=True)["items"]] == [tasks[2]["id"]]
    # Claiming stays: H1 claims the unassigned one.
    assert client.post(f"/api/v1/tasks/{tasks[2]['id']}/claim", "H1").get_json()[
        "assignee"] == "H1"


HANDLERS = {"front_desk": ["F1", "F2"], "network_ops": ["N1", "N2", "N3"]}


def test_per_handler_figures_on_a_generated_history(client, api_clock):
    rng = random.Random(15)
    for department, people in HANDLERS.items():
        for staff_id in people:
            hire(client, staff_id, ["handler"], [department])
    person(client, "NSUP", ["supervisor"], ["network_ops"])
    expiry: dict[str, datetime] = {}
    expected: dict[str, list[tuple[str, float, bool | None]]] = {}
    bounced: set[str] = set()  # orders transferred on the way
    start = api_clock.now()
    for n in range(12):
        order = client.submit(external_reference=f"GEN-{n}")
        number = order["number"]
        task = client.get(f"/api/v1/tasks/{order['open_stages'][0]['task_id']}",
                          "manager").get_json()
        while task is not None:
            api_clock.advance(timedelta(minutes=rng.randint(1, 40)))
            people = HANDLERS.get(task["department"])
            who = rng.choice(people) if people else task["department"]  # billing: a token
            if people and expiry.get(who, api_clock.now()) <= api_clock.now() + timedelta(
                    minutes=1):
                expiry[who] = datetime.fromisoformat(log_in(client, who)["expires_at"])
            if task["form"] == "handle.json" and people and rng.random() < 0.3:
                act(client, number, who, "transfer", to_department="billing",
                    reason="A billing dispute.")
                bounced.add(number)
                nexts = client.order(number)["open_stages"]
            else:
                nexts = _complete(client, task, who)["next_tasks"]
                nexts = [{"task_id": t["id"]} for t in nexts]
            if people:
                opened = datetime.fromisoformat(task["created_at"])
                due = datetime.fromisoformat(task["due_at"]) if task["due_at"] else None
                expected.setdefault(who, []).append((
                    number, (api_clock.now() - opened).total_seconds(),
                    None if due is None else api_clock.now() <= due))
            task = client.get(f"/api/v1/tasks/{nexts[0]['task_id']}", "manager").get_json() \
                if nexts else None
        assert client.order(number)["status"] == "closed"
    assert bounced and len(bounced) < 12, "the history has transfers, and orders without"
    end = api_clock.advance(timedelta(minutes=1))

    response = client.get("/api/v1/reports/handlers", "manager", query_string={
        "from": start.isoformat(), "to": end.isoformat()})
    assert response.status_code == 200, response.get_json()
    got = {row["staff_id"]: row for row in response.get_json()["handlers"]}
    assert set(got) == set(expected)
    for staff_id, stages in expected.items():
        limited = [on_time for _, _, on_time in stages if on_time is not None]
        row = got[staff_id]
        assert row["stages"] == len(stages), staff_id
        handled = {number for number, _, _ in stages}
        assert row["orders"] == len(handled), staff_id
        assert row["first_contact_resolutions"] == len(handled - bounced), staff_id
        assert row["on_time"] == sum(limited) and row["with_limit"] == len(limited)
        assert row["on_time_rate"] == (round(sum(limited) / len(limited), 4)
                                       if limited else None)
        assert row["median_handling_seconds"] == statistics.median(
            seconds for _, seconds, _ in stages), staff_id
    assert sum(row["on_time"] for row in got.values()) < sum(
        row["with_limit"] for row in got.values()), "the history has late stages too"

    # A supervisor reads its own department's people; handlers and other departments not.
    log_in(client, "NSUP")
    log_in(client, "F1")
    own = client.get("/api/v1/reports/handlers", "NSUP", query_string={
        "from": start.isoformat(), "to": end.isoformat()}).get_json()["handlers"]
    assert {row["staff_id"] for row in own} == {s for s in expected if s.startswith("N")}
    assert client.get("/api/v1/reports/handlers?department=front_desk",
                      "NSUP").status_code == 403
    assert client.get("/api/v1/reports/handlers", "F1").status_code == 403
    assert client.get("/api/v1/reports/handlers", "network_ops").status_code == 403
