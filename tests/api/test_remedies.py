"""Demand and remedy as coded fields, and the refund audit (issue 15): a refund above
the threshold (data/people.json: 100) cannot reach the customer's feedback without a
second person's audit approving that amount."""
from __future__ import annotations

from tests.api.conftest import events, work
from tests.api.people import person
from tests.orders import FORM_DATA


def _remedy(client, number: str, as_: str, expect: int = 200, **body) -> dict:
    response = client.call("PUT", f"/api/v1/work-orders/{number}/remedy", as_, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _audit(client, number: str, as_: str, approved: bool, expect: int = 201) -> dict:
    response = client.post(f"/api/v1/work-orders/{number}/refund-audits", as_,
                           json={"approved": approved, "note": "checked the bill"})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _dispatched(client, **fields) -> str:
    """A new order, dispatched to network_ops (which may then record the remedy)."""
    number = client.submit(**fields)["number"]
    work(client, number, "front_desk")
    return number


def _to_feedback(client, number: str) -> dict:
    """Work the dispatched order's stages up to its feedback; that stage (open)."""
    while True:
        [stage] = client.order(number)["open_stages"]
        if stage["form"] == "feedback.json":
            return {"id": stage["task_id"]}
        work(client, number, stage["department"])


def _give_feedback(client, feedback: dict, expect: int) -> dict:
    response = client.post(f"/api/v1/tasks/{feedback['id']}/complete", "front_desk",
                           json={"data": FORM_DATA["feedback.json"]})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_a_refund_over_the_threshold_cannot_reach_feedback_without_the_audit(client):
    person(client, "NH", ["handler"], ["network_ops"])
    person(client, "SUP", ["supervisor"], ["front_desk"])
    number = _dispatched(client)
    state = _remedy(client, number, "NH", demands=["refund", "apology"], refund_amount=150.5,
                    apology=True)
    assert state["remedy"]["refund_amount"] == "150.50"
    assert "no second person" in state["refund_audit_pending"]
    feedback = _to_feedback(client, number)
    refused = _give_feedback(client, feedback, 409)
    assert "refund audit" in refused["detail"]

    _audit(client, number, "NH", True, expect=403)  # who recorded it
    _audit(client, number, "front_desk", True, expect=403)  # a shared token: no person
    _audit(client, number, "SUP", False)
    assert "did not approve" in _give_feedback(client, feedback, 409)["detail"]
    approved = _audit(client, number, "SUP", True)
    assert (approved["audited_by"], approved["refund_amount"]) == ("SUP", "150.50")
    _give_feedback(client, feedback, 200)
    detail = client.order(number)
    assert detail["status"] == "closed"
    assert [e["detail"]["approved"] for e in events(detail, "refund_audited")] == [False, True]


def test_a_changed_refund_voids_the_audit_and_a_small_one_needs_none(client):
    person(client, "NH", ["handler"], ["network_ops"])
    person(client, "SUP", ["supervisor"], ["front_desk"])
    number = _dispatched(client, external_reference="R-1")
    _remedy(client, number, "NH", demands=["refund"], refund_amount=150)
    _audit(client, number, "SUP", True)
    assert _remedy(client, number, "NH", demands=["refund"], refund_amount=300)[
        "refund_audit_pending"]
    feedback = _to_feedback(client, number)
    _give_feedback(client, feedback, 409)
    _audit(client, number, "SUP", True)
    _give_feedback(client, feedback, 200)

    small = _dispatched(client, external_reference="R-2")
    state = _remedy(client, small, "NH", demands=["refund"], refund_amount=100)
    assert state["refund_audit_pending"] is None
    _audit(client, small, "SUP", True, expect=409)  # nothing to audit
    _give_feedback(client, _to_feedback(client, small), 200)


def test_bad_remedies_are_refused_with_their_fields(client):
    number = client.submit()["number"]
    refused = _remedy(client, number, "front_desk", expect=422, demands=["a pony"],
                      refund_amount=-1, compensation_amount=1.005)
    assert sorted(e["field"] for e in refused["errors"]) == [
        "body.compensation_amount", "body.demands.0", "body.refund_amount"]
    state = client.get(f"/api/v1/work-orders/{number}/remedy", "front_desk").get_json()
    assert state["remedy"] is None
    assert _remedy(client, number, "billing", expect=404, demands=["refund"])
