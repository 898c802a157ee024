"""Close-out coding, the return visit and reopening, end to end over HTTP on the
simulated clock: the feedback stage codes a liable department, a liable cause of
data/liable_causes.json and whether the complaint was justified; the decision table
return_visit says when the customer is called back; an unsolved or dissatisfied return
visit reopens the order to its processing department."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.api.conftest import (
    TO_NETWORK,
    another_phone,
    deploy,
    events,
    notifications,
    work,
)
from tests.conftest import ROOT, generic_copy

MINUTE = timedelta(minutes=1)
SATISFIED = {"customer_reached": True, "satisfaction": "satisfied",
             "liable_department": "network_operations", "liable_cause": "network_fault",
             "justified": True}
SHIPPED_TABLE = (ROOT / "processes" / "return_visit.dmn").read_text(encoding="utf-8")
SAMPLE_CELL = "<text>? &lt; 10</text>"


def sampled_share(client, percent: int) -> None:
    """The designer deploys the return-visit table with another sampled share."""
    assert SHIPPED_TABLE.count(SAMPLE_CELL) == 1
    table = SHIPPED_TABLE.replace(SAMPLE_CELL, f"<text>? &lt; {percent}</text>")
    response = deploy(client, {"return_visit.dmn": table.encode()})
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def no_sampling(client):
    sampled_share(client, 0)


def to_feedback(client, api_clock, **submission) -> str:
    """An order (one_department, network_operations) worked up to its feedback stage."""
    number = client.submit(**submission)["number"]
    api_clock.advance(5 * MINUTE)
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    for department, stage in (("network_operations", "handle"),
                              ("network_operations", "return_result"),
                              ("front_desk", "audit")):
        api_clock.advance(10 * MINUTE)
        work(client, number, department, stage=stage)
    api_clock.advance(10 * MINUTE)
    return number


def complete(client, number: str, department: str, data: dict, expect: int = 200):
    [task] = client.inbox(department, business_key=number)["items"]
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", department,
                           json={"data": data})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def open_stages(client, number: str) -> list[tuple[str, str]]:
    return [(s["stage"], s["department"]) for s in client.order(number)["open_stages"]]


# ------------------------------------------------------------------ close-out coding

def test_closing_codes_the_liable_department_cause_and_justification(
        client, api_clock, no_sampling):
    number = to_feedback(client, api_clock)
    assert client.order(number)["close_out"] is None
    missing = complete(client, number, "front_desk",
                       {"customer_reached": True, "satisfaction": "satisfied"}, expect=422)
    assert {e["field"] for e in missing["errors"]} >= {
        "data.liable_department", "data.liable_cause", "data.justified"}
    wrong = complete(client, number, "front_desk",
                     {**SATISFIED, "liable_cause": "bad_luck",
                      "liable_department": "nowhere"}, expect=422)
    messages = {e["field"]: e["message"] for e in wrong["errors"]}
    assert "is not a code of liable_causes" in messages["data.liable_cause"]
    assert "not a department in the directory" in messages["data.liable_department"]
    # Refused inputs changed nothing: the feedback stage is still open.
    assert open_stages(client, number) == [("feedback", "front_desk")]
    # Any department of the directory may be liable, not only those of the lanes.
    complete(client, number, "front_desk",
             {**SATISFIED, "liable_department": "branch_front_desk",
              "liable_cause": "staff_error", "justified": False})
    detail = client.order(number)
    assert detail["status"] == "closed"
    assert detail["close_out"] == {
        "liable_department": "branch_front_desk", "liable_cause": "staff_error",
        "justified": False, "customer_reached": True, "satisfaction": "satisfied",
        "visit_reached": None, "visit_resolved": None, "visit_satisfaction": None}
    [closing] = [e for e in events(detail, "completed") if e["stage"] == "feedback"]
    assert {k: closing["detail"]["data"][k] for k in (
        "liable_department", "liable_cause", "justified")} == {
        "liable_department": "branch_front_desk", "liable_cause": "staff_error",
        "justified": False}


def test_the_liable_causes_are_listed_for_the_forms(client):
    response = client.get("/api/v1/code-lists/liable_causes", "front_desk")
    assert response.status_code == 200
    codes = [c["code"] for c in response.json["codes"]]
    assert "network_fault" in codes and len(codes) == len(set(codes))
    assert client.get("/api/v1/code-lists/nothing", "front_desk").status_code == 404


# ------------------------------------------------------------------ when a visit runs

@pytest.mark.parametrize(("feedback", "submission", "visit"), [
    ({}, {}, False),
    ({"customer_reached": False, "satisfaction": "unknown"}, {}, True),
    ({"satisfaction": "dissatisfied"}, {}, True),
    ({"satisfaction": "neutral"}, {}, False),
    ({}, {"customer_tier": "vip"}, True),
    ({}, {"customer_tier": "special_care", "customer_note": "Hard of hearing."}, True),
], ids=["satisfied", "not-reached", "dissatisfied", "neutral", "vip", "special-care"])
def test_the_table_decides_the_return_visit(client, api_clock, no_sampling, feedback,
                                            submission, visit):
    number = to_feedback(client, api_clock, **submission)
    complete(client, number, "front_desk", {**SATISFIED, **feedback})
    detail = client.order(number)
    if visit:
        [stage] = detail["open_stages"]
        assert (stage["stage"], stage["department"]) == ("return_visit", "front_desk")
        assert detail["status"] != "closed"
    else:
        assert (detail["status"], detail["open_stages"]) == ("closed", [])


@pytest.mark.parametrize(("inputs", "visit", "why"), [
    ({"upgraded": True}, True, "upgraded"),
    ({"upgraded": False}, False, ""),
    ({"repeat_count": 2}, True, "repeat"),
    ({"repeat_count": 0}, False, ""),
    ({}, False, ""),  # neither variable set: an order no one flagged
    ({"sample_draw": 3}, True, "sampled"),
    ({"resolved": False}, True, "unresolved"),
])
def test_upgraded_repeat_and_sampled_orders_are_called_back(client, inputs, visit, why):
    base = {"customer_reached": True, "satisfaction": "satisfied",
            "customer_tier": "ordinary", "upgraded": None, "repeat_count": None,
            "sample_draw": 50, "resolved": True}
    response = client.post("/api/v1/decisions/return_visit/evaluate", "designer",
                           json={"inputs": {**base, **inputs}})
    assert response.status_code == 200, response.json
    assert response.json["outputs"] == {"return_visit": visit, "return_visit_reason": why}


def test_a_result_recorded_as_not_resolved_is_called_back(client, api_clock, no_sampling):
    number = client.submit()["number"]
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    work(client, number, "network_operations",
         {"result": "Needs a new base station; planned.", "resolved": False}, stage="handle")
    for department, stage in (("network_operations", "return_result"),
                              ("front_desk", "audit")):
        work(client, number, department, stage=stage)
    complete(client, number, "front_desk", SATISFIED)
    assert open_stages(client, number) == [("return_visit", "front_desk")]


def test_a_sampled_share_is_the_designers_to_set(client, api_clock):
    sampled_share(client, 100)
    everyone = to_feedback(client, api_clock)
    complete(client, everyone, "front_desk", SATISFIED)
    assert open_stages(client, everyone) == [("return_visit", "front_desk")]
    sampled_share(client, 0)
    no_one = to_feedback(client, api_clock, customer_phone=another_phone())  # no repeat
    complete(client, no_one, "front_desk", SATISFIED)
    assert client.order(no_one)["status"] == "closed"


# ------------------------------------------------------------------ reopening

def test_a_dissatisfied_return_visit_reopens_the_order_with_its_reason(
        client, api_clock, no_sampling):
    number = to_feedback(client, api_clock)
    complete(client, number, "front_desk", {**SATISFIED, "satisfaction": "dissatisfied"})
    api_clock.advance(timedelta(hours=20))  # the visit the next day, inside its 24 h
    visit = {"visit_reached": True, "visit_resolved": True,
             "visit_satisfaction": "dissatisfied"}
    no_reason = complete(client, number, "front_desk", visit, expect=422)
    assert [e["field"] for e in no_reason["errors"]] == ["data.reason"]
    done = complete(client, number, "front_desk", {**visit, "reason": "Still no signal."})
    [next_stage] = done["next_tasks"]
    assert (next_stage["stage"], next_stage["department"]) == ("handle", "network_operations")

    detail = client.order(number)
    [reopened] = events(detail, "reopened")
    assert (reopened["department"], reopened["stage"], reopened["detail"]["reason"],
            reopened["detail"]["to_departments"]) == (
        "front_desk", "return_visit", "Still no signal.", ["network_operations"])
    assert detail["counts"]["reopens"] == 1
    [told] = notifications(client, "network_operations", event="reopened")
    assert told["message"] == f"Order {number}: Order reopened by front_desk: Still no signal."

    # The reopened stage runs on a fresh stage limit; the processing department's total
    # goes on from what it used before (10 + 10 minutes of its 3 hours).
    [handle] = detail["open_stages"]
    now = api_clock.now()
    assert handle["due_at"] == (now + timedelta(hours=2)).isoformat()
    assert handle["department_due_at"] == (now + timedelta(hours=2, minutes=40)).isoformat()
    api_clock.advance(10 * MINUTE)
    work(client, number, "network_operations", stage="handle")
    work(client, number, "network_operations", stage="return_result")
    # The 20 hours of the return visit do not use up the acceptance department's total.
    audit = client.order(number)["open_stages"][0]
    assert audit["stage"] == "audit"
    assert audit["department_due_at"] > api_clock.now().isoformat()
    work(client, number, "front_desk", stage="audit")
    complete(client, number, "front_desk", SATISFIED)
    detail = client.order(number)
    assert detail["status"] == "closed"
    assert detail["counts"]["reopens"] == 1
    assert not [e for e in detail["timeline"] if e["type"] == "department_overdue"]


@pytest.mark.parametrize(("visit", "reopens"), [
    ({"visit_reached": True, "visit_resolved": False, "visit_satisfaction": "neutral",
      "reason": "The refund never came."}, True),
    ({"visit_reached": True, "visit_resolved": True, "visit_satisfaction": "satisfied"},
     False),
    ({"visit_reached": False}, False),
], ids=["not-resolved", "resolved-and-satisfied", "not-reached"])
def test_what_a_return_visit_finds_decides_whether_the_order_reopens(
        client, api_clock, no_sampling, visit, reopens):
    number = to_feedback(client, api_clock, customer_tier="vip")
    complete(client, number, "front_desk", SATISFIED)
    complete(client, number, "front_desk", visit)
    detail = client.order(number)
    assert len(events(detail, "reopened")) == int(reopens)
    assert {k: detail["close_out"][k] for k in visit if k != "reason"} == {
        k: v for k, v in visit.items() if k != "reason"}
    if reopens:
        assert open_stages(client, number) == [("handle", "network_operations")]
    else:
        assert detail["status"] == "closed"


def test_the_return_visit_has_a_limit_of_its_own(client, api_clock, no_sampling):
    number = to_feedback(client, api_clock)
    complete(client, number, "front_desk", {**SATISFIED, "customer_reached": False,
                                            "satisfaction": "unknown"})
    [stage] = client.order(number)["open_stages"]
    opened = api_clock.now()
    assert stage["due_at"] == (opened + timedelta(hours=24)).isoformat()
    assert stage["department_due_at"] is None  # outside the acceptance total
    api_clock.advance(timedelta(hours=24, minutes=1))
    client.flask_client.application.extensions["process_engine"].timers.fire_due_timers("t")
    detail = client.order(number)
    lapses = [(e["type"], e["stage"]) for e in detail["timeline"]
              if e["type"] in ("stage_overdue", "department_overdue")]
    assert lapses == [("stage_overdue", "return_visit")]


def test_every_flow_reaches_its_end_through_a_reopening(client, api_clock, no_sampling):
    """The single and relay flows reopen to their processing department too."""
    from tests.orders import FORM_DATA

    cases = {"single_dispatch": ("terminal/handset_fault/software",
                                 {"handset_model": "Mate 60"}),
             "two_department_relay": ("network/call_drop/td",
                                      {"location": "Binjiang", "network_generation": "td_scdma"})}
    for flow, (category, key_fields) in cases.items():
        number = client.submit(category=category, key_fields=key_fields,
                               customer_tier="vip")["number"]
        assert client.order(number)["flow"] == flow
        reopened = False
        while (stages := client.order(number)["open_stages"]):
            [stage] = stages
            data = dict(FORM_DATA[stage["form"]])
            if stage["stage"] == "feedback":
                data["liable_department"] = "network_operations"
            if stage["stage"] == "return_visit" and not reopened:
                data = {"visit_reached": True, "visit_resolved": False,
                        "visit_satisfaction": "dissatisfied", "reason": "Not fixed."}
                reopened = True
            api_clock.advance(5 * MINUTE)
            complete(client, number, stage["department"], data)
        detail = client.order(number)
        assert (detail["status"], detail["counts"]["reopens"]) == ("closed", 1)
        [event] = events(detail, "reopened")
        assert event["detail"]["to_stages"] == ["handle"]


# ------------------------------------------------------------------ deploy-time checks

@pytest.mark.parametrize(("condition", "message"), [
    ('decide("revisits", "return_visit")',
     "decide consults decision table 'revisits', which is neither deployed nor in this "
     "deployment"),
    ('decide("return_visit", "visit")', "decision table 'return_visit' has no output 'visit'"),
    ('decide("return_visit", satisfaction)', "both in quotes"),
])
def test_a_diagram_consulting_a_table_that_is_not_there_is_refused(client, condition, message):
    [(name, content)] = generic_copy("one_department").items()
    changed = content.replace(b'decide("return_visit", "return_visit")', condition.encode())
    response = deploy(client, {name: changed}, dry_run=True)
    assert response.status_code == 422, response.get_json()
    [problem] = response.json["errors"]
    assert (problem["file"], problem["element_id"]) == (name, "flow_to_return_visit")
    assert message in problem["message"]


def test_a_form_naming_an_unknown_code_list_is_refused(client):
    form = json.loads((ROOT / "forms" / "feedback.json").read_text(encoding="utf-8"))
    form["properties"]["liable_cause"]["x-code-list"] = "excuses"
    response = deploy(client, {**generic_copy("one_department"),
                               "feedback.json": json.dumps(form).encode()}, dry_run=True)
    assert response.status_code == 422, response.get_json()
    [problem] = response.json["errors"]
    assert (problem["file"], problem["element_id"]) == ("feedback.json",
                                                        "/properties/liable_cause")
    assert "names the code list 'excuses'" in problem["message"]


def test_the_return_visit_pauses_like_any_stage(client, api_clock, engine, no_sampling):
    """Customer unreachable for now: the acceptance department pauses its return visit;
    the visit's 24 h stand still for the 30 h of the pause and nothing lapses."""
    number = to_feedback(client, api_clock)
    complete(client, number, "front_desk", {**SATISFIED, "satisfaction": "dissatisfied"})
    [visit] = client.order(number)["open_stages"]
    due = datetime.fromisoformat(visit["due_at"])
    api_clock.advance(timedelta(hours=1))
    response = client.post(f"/api/v1/work-orders/{number}/pause", "front_desk",
                           json={"reason": "waiting_for_customer"})
    assert response.status_code == 200, response.json
    api_clock.advance(timedelta(hours=30))
    engine.timers.fire_due_timers("worker")
    assert events(client.order(number), "stage_overdue") == []
    response = client.post(f"/api/v1/work-orders/{number}/resume", "front_desk", json={})
    assert response.status_code == 200, response.json
    [visit] = client.order(number)["open_stages"]
    assert (visit["stage"], datetime.fromisoformat(visit["due_at"])) == (
        "return_visit", due + timedelta(hours=30))
