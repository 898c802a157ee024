"""What departments do to a work order over HTTP: urge, transfer, send back, the cap
on transfers and send-backs, and audit; each on the timeline, counted and told."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.api.conftest import ORDER, TO_NETWORK, act, events, notifications, work

MINUTE = timedelta(minutes=1)
@pytest.fixture
def at_handling(client, api_clock):
    """An order (one_department) dispatched to network operations after 5 minutes."""
    number = client.submit()["number"]
    api_clock.advance(5 * MINUTE)
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    return number


def test_urges_are_repeatable_counted_and_told_to_the_holder(client, api_clock, at_handling):
    number = at_handling
    for n in range(1, 4):
        api_clock.advance(10 * MINUTE)
        detail = act(client, number, "front_desk", "urge", note=f"Customer called again ({n})")
        assert detail["counts"]["urges"] == n
    urged = events(detail, "urged")
    assert [(e["department"], e["actor"], e["detail"]["reason"], e["detail"]["to_departments"])
            for e in urged] == [("front_desk", "front_desk", f"Customer called again ({n})",
                                 ["network_operations"]) for n in (1, 2, 3)]
    told = notifications(client, "network_operations", event="urged")
    assert [n["message"] for n in told] == [
        f"Order {number}: Urged by front_desk: Customer called again ({n})"
        for n in (3, 2, 1)]
    assert {n["business_key"] for n in told} == {number}
    # The urge did not move the order: the same stage is open, on the same clock.
    [stage] = detail["open_stages"]
    assert (stage["stage"], stage["due_at"]) == ("handle", "2026-03-02T10:05:00+00:00")
    assert notifications(client, "front_desk", event="urged") == []


def test_who_may_urge_and_when(client, api_clock, at_handling):
    number = at_handling
    act(client, number, "network_operations", "urge", expect=403)
    act(client, number, "billing", "urge", expect=404)  # not involved: not shown to exist
    act(client, number, "manager", "urge", expect=403)
    refused = act(client, client.submit()["number"], "front_desk", "urge", expect=409)
    assert "with your own department" in refused["detail"]
    work(client, number, "network_operations", stage="handle")
    work(client, number, "network_operations", stage="return_result")
    work(client, number, "front_desk", stage="audit")
    work(client, number, "front_desk", stage="feedback")
    assert "closed" in act(client, number, "front_desk", "urge", expect=409)["detail"]
    too_long = act(client, number, "front_desk", "urge", expect=422, note="x" * 2001)
    assert [e["field"] for e in too_long["errors"]] == ["body.note"]


def test_a_transfer_starts_the_new_departments_clocks_and_keeps_the_old_time(
        client, api_clock, engine, at_handling):
    number = at_handling
    api_clock.advance(30 * MINUTE)
    detail = act(client, number, "network_operations", "transfer", to_department="billing",
                 reason="A billing dispute, not a fault.")
    assert detail["counts"]["transfers"] == 1
    [stage] = detail["open_stages"]
    # Billing starts fresh: its handling limit and its department total from now.
    assert (stage["stage"], stage["department"]) == ("handle", "billing")
    assert stage["due_at"] == "2026-03-02T10:35:00+00:00"  # 08:35 + 2 h
    assert stage["department_due_at"] == "2026-03-02T11:35:00+00:00"  # 08:35 + 3 h
    [transferred] = events(detail, "transferred")
    assert (transferred["department"], transferred["detail"]["to_departments"],
            transferred["detail"]["reason"]) == (
        "network_operations", ["billing"], "A billing dispute, not a fault.")
    # Network operations' 30 minutes stay on the record.
    held = [e for e in events(detail, "completed") if e["stage"] == "handle"]
    assert [(e["department"], e["detail"]["duration_seconds"]) for e in held] == [
        ("network_operations", 1800.0)]
    [told] = notifications(client, "billing")
    assert told["event"] == "transferred" and "A billing dispute" in told["message"]
    # The one that transferred sees the order still, but holds nothing.
    assert client.order(number, as_="network_operations")["responsible_departments"] == [
        "billing"]
    act(client, number, "network_operations", "transfer", expect=409,
        to_department="network_operations", reason="Back again.")


def test_transfers_and_send_backs_are_capped_then_the_supervisor_decides(
        client, api_clock, at_handling):
    number = at_handling
    api_clock.advance(20 * MINUTE)
    act(client, number, "network_operations", "transfer", to_department="billing",
        reason="Billing question.")
    act(client, number, "billing", "transfer", to_department="provincial_support_centre",
        reason="A value-added service charge.")
    detail = act(client, number, "provincial_support_centre", "send-back",
                 reason="Wrongly dispatched: no service of ours involved.")
    assert [(s["stage"], s["department"]) for s in detail["open_stages"]] == [
        ("dispatch", "front_desk")]
    assert "Wrongly dispatched" in notifications(client, "front_desk", event="sent_back")[0][
        "message"]
    # Network operations picks its budget up where it left it: 20 of 180 minutes used.
    api_clock.advance(10 * MINUTE)
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    [stage] = client.order(number)["open_stages"]
    assert stage["department_seconds_remaining"] == 160 * 60
    assert stage["seconds_remaining"] == 120 * 60

    # Three moves so far (two transfers and a send-back): the cap. The fourth is refused
    # by the diagram and goes to the acceptance department's supervisor instead.
    detail = act(client, number, "network_operations", "transfer", to_department="billing",
                 reason="Billing again.")
    assert detail["counts"] == {"urges": 0, "transfers": 2, "returns": 1,
                                "audit_rejections": 0, "supervisor_referrals": 1,
                                "reopens": 0}
    assert [(s["stage"], s["department"]) for s in detail["open_stages"]] == [
        ("supervise", "desk_supervisors")]
    [told] = notifications(client, "desk_supervisors")
    assert told["event"] == "reassignment_capped"
    assert len(notifications(client, "billing", event="transferred")) == 1

    work(client, number, "desk_supervisors", {"processing_department": "billing",
                                              "supervisor_note": "Billing owns it."})
    [stage] = client.order(number)["open_stages"]
    assert (stage["stage"], stage["department"]) == ("handle", "billing")
    # Past the cap, every further move goes to the supervisor again.
    act(client, number, "billing", "send-back", reason="Not ours.")
    assert [s["stage"] for s in client.order(number)["open_stages"]] == ["supervise"]
    assert client.order(number)["counts"]["supervisor_referrals"] == 2


def test_a_send_back_in_the_relay_returns_to_the_relaying_department(client, api_clock):
    number = client.submit(category="network/call_drop/td",
                           key_fields={"location": "Binjiang",
                                       "network_generation": "td_scdma"})["number"]
    work(client, number, "front_desk", {"relaying_department": "service_support_group"})
    work(client, number, "service_support_group", TO_NETWORK, stage="redispatch")
    act(client, number, "network_operations", "send-back", reason="This is a terminal issue.")
    [stage] = client.order(number)["open_stages"]
    assert (stage["stage"], stage["department"]) == ("redispatch", "service_support_group")


def test_audit_rejection_sends_the_order_back_with_its_reason(client, api_clock, at_handling):
    number = at_handling
    work(client, number, "network_operations", stage="handle")
    work(client, number, "network_operations", stage="return_result")
    refused = act(client, number, "front_desk", "audit", expect=422, approved=False)
    assert refused["errors"] == [{"field": "body.reason", "message": "is required"}]
    act(client, number, "network_operations", "audit", expect=409, approved=True)

    api_clock.advance(3 * MINUTE)
    detail = act(client, number, "front_desk", "audit", approved=False,
                 reason="The customer still has no signal.")
    assert detail["counts"]["audit_rejections"] == 1
    [stage] = detail["open_stages"]
    assert (stage["stage"], stage["department"]) == ("handle", "network_operations")
    [rejected] = events(detail, "audit_rejected")
    assert (rejected["department"], rejected["detail"]["reason"]) == (
        "front_desk", "The customer still has no signal.")
    [told] = notifications(client, "network_operations", event="audit_rejected")
    assert "still has no signal" in told["message"]

    work(client, number, "network_operations", stage="handle")
    work(client, number, "network_operations", stage="return_result")
    detail = act(client, number, "front_desk", "audit", approved=True)
    assert [s["stage"] for s in detail["open_stages"]] == ["feedback"]
    work(client, number, "front_desk", stage="feedback")
    closed = client.order(number, as_="crm")
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    assert closed["open_stages"] == [] and closed["responsible_departments"] == []
    assert [e["stage"] for e in events(closed, "completed")] == [
        "dispatch", "handle", "return_result", "audit", "handle", "return_result", "audit",
        "feedback"]


@pytest.mark.parametrize(("body", "field"), [
    ({"to_department": "nowhere", "reason": "x"}, "body.to_department"),
    ({"to_department": "network_operations", "reason": "x"}, "body.to_department"),
    ({"to_department": "billing"}, "body.reason"),
    ({"to_department": "billing", "reason": ""}, "body.reason"),
    ({"to_department": "billing", "reason": "x", "urgent": True}, "body.urgent"),
])
def test_a_bad_transfer_names_the_field_and_changes_nothing(client, at_handling, body, field):
    before = client.order(at_handling)
    response = client.post(f"/api/v1/work-orders/{at_handling}/transfer", "network_operations",
                           json=body)
    assert response.status_code == 422, response.json
    assert field in {e["field"] for e in response.json["errors"]}
    assert client.order(at_handling) == before


def test_racing_transfers_move_the_order_once(client, at_handling):
    from concurrent.futures import ThreadPoolExecutor

    def transfer(target):
        return client.of_its_own().post(f"/api/v1/work-orders/{at_handling}/transfer",
                                        "network_operations",
                                        json={"to_department": target, "reason": "race"})

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(transfer, ["billing", "provincial_support_centre"]))
    assert sorted(r.status_code for r in responses) == [200, 409]
    detail = client.order(at_handling)
    assert detail["counts"]["transfers"] == 1
    assert len(detail["open_stages"]) == 1


def test_notifications_are_read_per_recipient(client, api_clock, at_handling):
    number = at_handling
    act(client, number, "front_desk", "urge", note="one")
    api_clock.advance(10 * MINUTE)
    act(client, number, "front_desk", "urge", note="two")
    [second, first] = notifications(client, "network_operations", unread="true")
    assert client.post(f"/api/v1/notifications/{first['id']}/read",
                       "front_desk").status_code == 404  # not addressed to it
    read = client.post(f"/api/v1/notifications/{first['id']}/read", "network_operations")
    assert read.status_code == 200 and read.json["read_by"] == "network_operations"
    assert [n["id"] for n in notifications(client, "network_operations", unread="true")] == [
        second["id"]]
    assert client.post("/api/v1/notifications/read-all",
                       "network_operations").json == {"marked": 1}
    assert notifications(client, "network_operations", unread="true") == []
    assert len(notifications(client, "network_operations")) == 2
    assert client.post("/api/v1/notifications/99999999999/read",
                       "network_operations").status_code == 404
    assert client.get("/api/v1/notifications", "crm").status_code == 403


@pytest.mark.parametrize("action", ["resolve", "send_back"])
def test_only_a_transfer_moves_the_order_to_another_department(client, at_handling, action):
    [task] = client.inbox("network_operations", business_key=at_handling)["items"]
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", "network_operations",
                           json={"data": {"action": action, "result": "Done.",
                                          "resolved": True, "reason": "x",
                                          "processing_department": "billing"}})
    assert response.status_code == 422
    assert response.json["errors"] == [{
        "field": "data.processing_department",
        "message": "only a transfer names the department that takes the order over"}]
    assert client.order(at_handling)["responsible_departments"] == ["network_operations"]


def test_an_order_started_directly_has_a_supervisor_too(client, generic, engine):
    """The generic start (of a copy of one_department, which has the same lanes) fills
    in the Supervisor lane's department as intake does."""
    started = client.post(f"/api/v1/process-definitions/{generic}/start", "crm", json={
        "business_key": "DIRECT-1", "variables": {k: v for k, v in ORDER.items()}})
    assert started.status_code == 201, started.json
    variables = engine.reads.get_instance(started.json["id"]).variables
    assert variables["supervisor_department"] == "desk_supervisors"


def test_urges_are_spaced_and_counted(client, api_clock, app, at_handling):
    """data/settings.json: again after 10 minutes, at most 20 times."""
    act(client, at_handling, "front_desk", "urge")
    api_clock.advance(9 * MINUTE)
    refused = act(client, at_handling, "front_desk", "urge", expect=409)
    assert "urge it again from 2026-03-02T08:15:00+00:00" in refused["detail"]
    api_clock.advance(MINUTE)
    for _ in range(19):
        act(client, at_handling, "front_desk", "urge")
        api_clock.advance(10 * MINUTE)
    refused = act(client, at_handling, "front_desk", "urge", expect=409)
    assert "urged 20 times, the most an order takes" in refused["detail"]
    assert client.order(at_handling)["counts"]["urges"] == 20


def test_form_data_is_checked_before_the_write_lock(client, engine, monkeypatch, at_handling):
    """A designer's schema (patterns, formats) never runs while the order is locked: a
    completion and a transfer check their data in a read-only session first."""
    from contextlib import contextmanager

    import engine.runtime.commands as commands

    in_transaction: list[bool] = []
    original = engine.uow.transaction

    @contextmanager
    def tracked():
        in_transaction.append(True)
        try:
            with original() as session:
                yield session
        finally:
            in_transaction.pop()

    checked_while_locked: list[bool] = []
    check = commands.check_form_data

    def spy(*args):
        checked_while_locked.append(bool(in_transaction))
        return check(*args)

    monkeypatch.setattr(engine.uow, "transaction", tracked)
    monkeypatch.setattr(commands, "check_form_data", spy)
    act(client, at_handling, "network_operations", "transfer", to_department="billing",
        reason="A billing dispute.")
    work(client, at_handling, "billing", stage="handle")
    assert checked_while_locked and not any(checked_while_locked), checked_while_locked
