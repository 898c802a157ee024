"""First-contact resolution (issue 14): a complaint resolved on the spot by the acceptance
department is numbered, on the timeline with the answer, closed at once and counted; an
order closed without a transfer, send-back, audit rejection or reopening counts as
resolved first time; the FCR rate per acceptance department, category and month."""
from __future__ import annotations

from tests.api.conftest import TO_NETWORK, act, another_phone, events, visit_back, work
from tests.orders import FORM_DATA

ANSWER = "Explained the roaming tariff; the customer accepted."


def close(client, number: str, dispatched: bool = False) -> None:
    """Dispatch, handle, return, audit and feed back: the order closes first time."""
    if not dispatched:
        work(client, number, "front_desk", TO_NETWORK)
    for stage in ("handle", "return_result"):
        work(client, number, "network_operations", stage=stage)
    for stage in ("audit", "feedback"):
        work(client, number, "front_desk", stage=stage)
    visit_back(client, number)  # a repeat is called back; solved and satisfied, it closes


def test_a_complaint_resolved_on_the_spot_is_numbered_recorded_and_closed(client):
    order = client.submit(as_="front_desk", resolved_on_the_spot={"answer": ANSWER})
    assert order["number"].startswith("WO-") and order["status"] == "closed"
    assert order["first_contact"] and order["open_stages"] == []
    [resolved] = events(order, "resolved_on_the_spot")
    assert resolved["detail"] == {"department": "front_desk", "answer": ANSWER}
    assert resolved["actor"] == "front_desk"
    assert events(order, "ended") and not client.inbox("front_desk")["items"]
    bad = client.post("/api/v1/work-orders", "front_desk",
                      json={"customer_phone": "13912345678", "category": "x/y/z",
                            "content": "c", "channel": "hotline",
                            "resolved_on_the_spot": {"answer": ""}})
    assert bad.status_code == 422
    assert "body.resolved_on_the_spot.answer" in {e["field"] for e in bad.json["errors"]}


def fcr(client, **query) -> dict:
    response = client.get("/api/v1/reports/first-contact", "manager", query_string=query)
    assert response.status_code == 200, response.json
    return response.json


def test_first_time_resolution_and_the_rate(client, api_clock):
    on_the_spot = client.submit(resolved_on_the_spot={"answer": ANSWER})["number"]
    first_time = client.submit()["number"]
    close(client, first_time)
    transferred = client.submit()["number"]
    work(client, transferred, "front_desk", TO_NETWORK)
    act(client, transferred, "network_operations", "transfer", to_department="billing",
        reason="A billing dispute")
    for stage in ("handle", "return_result"):
        work(client, transferred, "billing", stage=stage)
    for stage in ("audit", "feedback"):
        work(client, transferred, "front_desk", stage=stage)
    visit_back(client, transferred)
    open_order = client.submit()["number"]  # not closed: not in the denominator

    report = fcr(client, group_by="acceptance_department", **{"from": "2026-03-01"})
    [desk] = report["groups"]
    assert desk["group"] == "front_desk"
    assert (desk["closed"], desk["on_the_spot"], desk["first_time"],
            desk["resolved_first_contact"], desk["rate"]) == (3, 1, 1, 2, 0.6667)
    assert desk["on_the_spot_orders"] == [on_the_spot]
    assert desk["first_time_orders"] == [first_time]
    assert desk["not_first_time_orders"] == [transferred]
    assert open_order not in str(report)
    by_month = fcr(client, group_by="month", **{"from": "2026-03-01"})["groups"]
    assert [(g["group"], g["closed"]) for g in by_month] == [("2026-03", 3)]
    csv = client.get("/api/v1/reports/first-contact", "manager",
                     query_string={"format": "csv", "group_by": "category"})
    assert csv.status_code == 200 and "network/no_signal/base_station" in csv.text
    # A department sees its own figures only.
    own = client.get("/api/v1/reports/first-contact", "front_desk").json
    assert [g["group"] for g in own["groups"]] == ["front_desk"]
    assert client.get("/api/v1/reports/first-contact", "network_operations").json[
        "groups"] == []


def test_an_order_a_return_visit_reopened_is_not_resolved_first_time(client):
    """Handled once by its first department, but the customer was dissatisfied at the
    return visit: reopened, handled again and closed, it is not a first-time resolution."""
    reopened = client.submit(customer_phone=another_phone())["number"]
    work(client, reopened, "front_desk", TO_NETWORK)
    for stage in ("handle", "return_result"):
        work(client, reopened, "network_operations", stage=stage)
    work(client, reopened, "front_desk", stage="audit")
    work(client, reopened, "front_desk", {**FORM_DATA["feedback.json"],
                                          "satisfaction": "dissatisfied"}, stage="feedback")
    work(client, reopened, "front_desk", {
        "visit_reached": True, "visit_resolved": False,
        "visit_satisfaction": "dissatisfied", "reason": "Still no signal."},
        stage="return_visit")
    close(client, reopened, dispatched=True)
    first_time = client.submit(customer_phone=another_phone())["number"]
    close(client, first_time)
    assert [client.order(n)["status"] for n in (reopened, first_time)] == ["closed"] * 2

    [desk] = fcr(client, group_by="acceptance_department", **{"from": "2026-03-01"})["groups"]
    assert (desk["closed"], desk["first_time"], desk["rate"]) == (2, 1, 0.5)
    assert desk["first_time_orders"] == [first_time]
    assert desk["not_first_time_orders"] == [reopened]
