"""Who sees a customer's number (issue 13): a department involved in an order only by a
notification — a supervisor told of a breach, a department alerted to a hotspot — sees
it masked (139****5678) in every answer about the order, until it holds a stage; the
acceptance department, the departments that held a stage, the integrator that
submitted it and managers see it whole."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.api.conftest import ORDER, TO_NETWORK, act, notifications, work

PHONE = ORDER["customer_phone"]  # 13912345678
MASKED = "139****5678"
MINUTE = timedelta(minutes=1)


def tick_to(api_clock, engine, hh_mm_ss: str) -> None:
    """Move the simulated clock to 2026-03-02 `hh_mm_ss` UTC and let a worker run."""
    api_clock.set(datetime.fromisoformat(f"2026-03-02T{hh_mm_ss}+00:00"))
    engine.timers.fire_due_timers("worker")


def answers(client, number: str, who: str) -> list[dict]:
    """What `who` reads about the order: the order itself and the listing of its orders."""
    detail = client.order(number, as_=who)
    listed = client.get("/api/v1/work-orders", who).json["items"]
    return [detail, *[item for item in listed if item["number"] == number]]


def shows(client, number: str, who: str) -> set[str]:
    """The customer_phone each answer gives `who`, after checking that no other field
    (the timeline's record of the submission, ...) carries the whole number."""
    found = answers(client, number, who)
    phones = {answer["customer_phone"] for answer in found}
    if phones == {MASKED}:
        for answer in found:
            assert PHONE not in json.dumps(answer, ensure_ascii=False), answer
    return phones


def test_a_supervisor_told_of_a_breach_sees_the_number_masked(client, api_clock, engine):
    number = client.submit()["number"]
    tick_to(api_clock, engine, "08:15:01")  # dispatch passes its limit: desk_supervisors told
    assert [n["event"] for n in notifications(client, "desk_supervisors")] == ["breach"]

    assert shows(client, number, "desk_supervisors") == {MASKED}
    # The phone filter is no way to confirm a guessed number either.
    found = client.get("/api/v1/work-orders", "desk_supervisors",
                       query_string={"phone": PHONE}).json
    assert found["total"] == 0 and found["items"] == []

    # Everyone the order belongs to sees the number.
    assert shows(client, number, "front_desk") == {PHONE}  # the acceptance department
    assert shows(client, number, "crm") == {PHONE}  # the integrator that submitted it
    assert shows(client, number, "manager") == {PHONE}
    assert client.get("/api/v1/work-orders", "front_desk",
                      query_string={"phone": PHONE}).json["total"] == 1


def test_a_department_that_holds_a_stage_sees_the_number(client, api_clock, engine):
    number = client.submit()["number"]
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    assert shows(client, number, "network_operations") == {PHONE}
    tick_to(api_clock, engine, "10:30:01")  # handling passes its limit: its supervisor told
    assert notifications(client, "operations_supervisors")
    assert shows(client, number, "operations_supervisors") == {MASKED}
    assert shows(client, number, "network_operations") == {PHONE}


def test_a_supervisor_who_decides_the_order_sees_the_number(client, api_clock):
    """Past the cap on transfers and send-backs the acceptance department's supervisor
    holds the order (the Supervisor decision stage): it works on it, and sees it whole."""
    number = client.submit()["number"]
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    act(client, number, "network_operations", "transfer", to_department="billing",
        reason="Billing question.")
    act(client, number, "billing", "transfer", to_department="provincial_support_centre",
        reason="A value-added service charge.")
    act(client, number, "provincial_support_centre", "send-back", reason="Not ours.")
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    detail = act(client, number, "network_operations", "transfer", to_department="billing",
                 reason="Billing again.")
    assert [s["department"] for s in detail["open_stages"]] == ["desk_supervisors"]
    assert shows(client, number, "desk_supervisors") == {PHONE}
    # A department that held a stage and handed it on still sees it.
    assert shows(client, number, "billing") == {PHONE}


def test_a_department_alerted_to_a_hotspot_sees_the_number_masked(client, api_clock):
    """The keyword rule alerts provincial_support_centre; the tenth order, still at the
    acceptance desk, is one it was only told about."""
    for n in range(10):
        number = client.submit(content=f"手机报 stopped arriving ({n}).",
                               category="value_added/mobile_newspaper/not_delivered",
                               key_fields={"subscription_name": "Zhejiang Daily"})["number"]
        api_clock.advance(10 * MINUTE)
    [told] = notifications(client, "provincial_support_centre", event="hotspot")
    assert told["business_key"] == number
    assert shows(client, number, "provincial_support_centre") == {MASKED}
    assert shows(client, number, "front_desk") == {PHONE}
