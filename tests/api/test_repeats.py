"""Repeat complaints (issue 14): the same customer number within the window (30 days by
data/settings.json), linked and counted at intake, shown with the order and in the
intake answer; the third repeat tells the acceptance supervisor."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.api.conftest import events, notifications

DAY = timedelta(days=1)
PHONE = "13912345678"


def test_orders_of_one_customer_within_the_window_are_linked_and_counted(client, api_clock):
    first = client.submit()
    assert first["repeat"] == {"count": 0, "repeat_of": None, "recent_orders": []}
    assert first["repeat_count"] == 0 and not events(first, "repeat_complaint")
    api_clock.advance(DAY)
    second = client.submit()
    client.submit(customer_phone="13800000001")  # another customer: no link
    api_clock.advance(9 * DAY)  # day 10
    third = client.submit()
    api_clock.advance(10 * DAY)  # day 20
    fourth = client.submit()
    numbers = [first["number"], second["number"], third["number"], fourth["number"]]

    # The intake answer flags the new order and lists the customer's recent orders.
    assert second["repeat"]["count"] == 1 and second["repeat"]["repeat_of"] == numbers[0]
    assert third["repeat_count"] == 2
    assert fourth["repeat"]["count"] == 3 and fourth["repeat"]["repeat_of"] == numbers[2]
    assert [o["number"] for o in fourth["repeat"]["recent_orders"]] == numbers[2::-1]
    assert {o["status"] for o in fourth["repeat"]["recent_orders"]} == {"open"}
    [linked] = events(fourth, "repeat_complaint")
    assert linked["detail"]["earlier"] == numbers[2::-1] and linked["detail"]["count"] == 3

    # The order view shows the same, as later read by the desk.
    viewed = client.order(numbers[3], as_="front_desk")
    assert [o["number"] for o in viewed["repeat"]["recent_orders"]] == numbers[2::-1]

    # Day 40: the window (30 days) holds only the day-20 order.
    api_clock.advance(20 * DAY)
    later = client.submit()
    assert later["repeat"]["count"] == 1 and later["repeat"]["repeat_of"] == numbers[3]

    # Only the third repeat (three earlier orders) told the acceptance supervisor.
    told = [n for n in notifications(client, "desk_supervisors")
            if n["event"] == "repeat_complaint"]
    assert [n["business_key"] for n in told] == [numbers[3]]
    assert numbers[0] in told[0]["message"]
    listed = client.get("/api/v1/work-orders", "manager",
                        query_string={"phone": PHONE}).json["items"]
    assert sorted((o["number"], o["repeat_count"]) for o in listed) == sorted(
        zip([*numbers, later["number"]], [0, 1, 2, 3, 1], strict=True))


def test_a_caller_sees_only_the_recent_orders_it_may_see(client, api_clock):
    crm_order = client.submit(as_="crm")
    api_clock.advance(DAY)
    hotline_order = client.submit(as_="hotline")
    assert hotline_order["repeat"]["count"] == 1  # counted whoever submitted it
    assert hotline_order["repeat"]["recent_orders"] == []  # crm's order is not hotline's
    managed = client.order(hotline_order["number"], as_="manager")
    assert [o["number"] for o in managed["repeat"]["recent_orders"]] == [crm_order["number"]]


def test_with_same_business_only_that_business_counts(client, app, api_clock):
    orders = app.extensions["work_orders"]
    outcomes = orders.settings.outcomes
    orders.settings = dataclasses.replace(orders.settings, outcomes=dataclasses.replace(
        outcomes, repeats=dataclasses.replace(outcomes.repeats, same_business=True)))
    client.submit()  # network/...
    api_clock.advance(DAY)
    billing = client.submit(category="billing/disputed_charge/data_charge",
                            key_fields={"bill_month": "2026-02", "disputed_amount": 30})
    assert billing["repeat"]["count"] == 0
    again = client.submit()
    assert again["repeat"]["count"] == 1


def test_intakes_of_one_customer_racing_each_count_the_others_once(client):
    from concurrent.futures import ThreadPoolExecutor

    def submit(_n):
        return client.of_its_own().post("/api/v1/work-orders", "crm", json={
            "customer_phone": PHONE, "category": "network/no_signal/base_station",
            "content": "Again.", "channel": "hotline", "acceptance_department": "front_desk",
            "key_fields": {"location": "Xihu district", "occurred_at": "2026-03-01"}})

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(submit, range(6)))
    assert sorted(r.status_code for r in responses) == [201] * 6
    assert sorted(r.json["repeat"]["count"] for r in responses) == [0, 1, 2, 3, 4, 5]
    told = [n for n in notifications(client, "desk_supervisors")
            if n["event"] == "repeat_complaint"]
    assert len(told) == 3  # the orders with 3, 4 and 5 earlier ones
