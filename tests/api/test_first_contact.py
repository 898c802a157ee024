"""First-contact resolution (issue 14): a complaint resolved on the spot by the acceptance
department is numbered, on the timeline with the answer, closed at once and counted; an
order closed without a transfer, send-back, audit rejection or reopening counts as
resolved first time; the FCR rate per acceptance department, category and month."""
from __future__ import annotations

from tests.api.conftest import TO_NETWORK, act, events, work

ANSWER = "Explained the roaming tariff; the customer accepted."


def close(client, number: str) -> None:
    """Dispatch, handle, return, audit and feed back: the order closes first time."""
    work(client, number, "front_desk", TO_NETWORK)
    for stage in ("handle", "return_result"):
        work(client, number, "network_operations", stage=stage)
    for stage in ("audit", "feedback"):
        work(client, number, "front_desk", stage=stage)


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
