"""Work orders over HTTP: the category tree, intake (validation, routing, numbering,
idempotency), and following an order (detail, list filters, who sees what)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.store.models import ProcessInstance
from engine.workorders.models import WorkOrder, WorkOrderCounter
from engine.workorders.routing import route
from tests.api.conftest import ORDER

SECOND = timedelta(seconds=1)


def count(engine, model) -> int:
    with engine.reading() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_the_category_tree_lists_every_cause_with_its_key_fields(client):
    response = client.get("/api/v1/categories", "front_desk")
    assert response.status_code == 200
    tree = response.json
    assert tree["leaves"] >= 30 and len(tree["businesses"]) >= 3
    causes = {f"{b['id']}/{p['id']}/{c['id']}": c
              for b in tree["businesses"] for p in b["phenomena"] for c in p["causes"]}
    assert len(causes) == tree["leaves"]
    for example in ("ring_back_tone/copy_failed/platform_fault",
                    "ring_back_tone/sync_failed/platform_delay",
                    "value_added/mobile_newspaper/not_delivered",
                    "value_added/weather_forecast/wrong_city",
                    "data_services/mms_not_received/gateway_fault",
                    "network/no_signal/base_station", "network/call_drop/td",
                    "terminal/handset_fault/screen", "wireless_broadband/slow_speed/congestion",
                    "billing/disputed_charge/data_charge"):
        assert example in causes, example
    assert causes["ring_back_tone/copy_failed/platform_fault"]["key_fields"] == [
        "tone_code", "operation_time"]
    assert tree["fields"]["tone_code"]["pattern"]


def test_every_category_routes_to_a_flow_whose_departments_exist(client, engine, app):
    """The tree and the routing table are edited separately; they must stay in step."""
    from api import work_orders

    directory = engine.directory
    for category in work_orders(app).categories:
        found = route(engine.catalog, category.path)
        assert found["flow"] in {"single_dispatch", "one_department", "two_department_relay"}
        for name, department in found.items():
            if name.endswith("_department") and department:
                assert department in directory, (category.path, department)


@pytest.mark.parametrize(("category", "key_fields", "flow", "departments"), [
    ("terminal/handset_fault/software", {"handset_model": "Mate 60"}, "single_dispatch",
     {"processing_department": "branch_marketing_centre"}),
    ("network/no_signal/base_station", ORDER["key_fields"], "one_department",
     {"processing_department": "network_operations"}),
    ("network/call_drop/td", {"location": "Binjiang", "network_generation": "td_scdma"},
     "two_department_relay", {"processing_department": "network_operations",
                              "relaying_department": "service_support_group"}),
])
def test_intake_routes_each_category_to_its_flow(client, engine, category, key_fields, flow,
                                                 departments):
    body = client.submit(category=category, key_fields=key_fields)
    assert body["number"] == "WO-20260302-000001"
    assert (body["flow"], body["status"], body["category"]) == (flow, "open", category)
    instance = engine.reads.get_instance(body["instance_id"])
    assert (instance.definition_key, instance.business_key) == (flow, body["number"])
    for name, department in departments.items():
        assert instance.variables[name] == department
    # The order waits at dispatch, with the acceptance department, on the clock.
    [stage] = body["open_stages"]
    assert (stage["stage"], stage["department"]) == ("dispatch", "front_desk")
    assert body["responsible_departments"] == ["front_desk"]
    assert stage["due_at"] == "2026-03-02T08:15:00+00:00"
    assert stage["seconds_remaining"] == 15 * 60 and stage["overdue"] is False
    assert instance.variables["supervisor_department"] == "desk_supervisors"
    assert instance.variables["key_fields"] == key_fields


def test_intake_reports_every_invalid_field_at_once_and_creates_nothing(client, engine):
    response = client.post("/api/v1/work-orders", "crm", json={
        **ORDER, "customer_phone": "14412345678", "channel": "carrier pigeon",
        "urgency": "whenever", "customer_tier": "gold",
        "acceptance_department": "nobody_desk",
        "key_fields": {"location": "x", "occurred_at": "yesterday", "colour": "red"}})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    errors = {e["field"].removeprefix("body."): e["message"] for e in response.json["errors"]}
    assert errors["customer_phone"] == "must be an 11-digit mainland China mobile number"
    assert "channel" in errors and "urgency" in errors and "customer_tier" in errors
    assert "not a department" in errors["acceptance_department"]
    assert "key_fields.location" in errors  # too short
    assert "key_fields.occurred_at" in errors
    assert errors["key_fields.colour"] == "is not a field of this form"
    assert all(e["field"].startswith("body.") for e in response.json["errors"])
    assert (count(engine, WorkOrder), count(engine, ProcessInstance),
            count(engine, WorkOrderCounter)) == (0, 0, 0)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"customer_phone": "0571-8888888"}, "customer_phone", "mobile number"),
    ({"customer_phone": "1381234567"}, "customer_phone", "mobile number"),
    ({"customer_phone": "138123456789"}, "customer_phone", "mobile number"),
    ({"customer_phone": "12012345678"}, "customer_phone", "mobile number"),
    ({"customer_phone": 13812345678}, "customer_phone", "Not a valid string"),
    ({"category": "network/no_signal"}, "category", "not a category"),
    ({"category": "astrology/late/moon"}, "category", "not a category"),
    ({"key_fields": {}}, "key_fields.location", "is required"),
    ({"content": ""}, "content", "Length"),
    ({"content": "x" * 4001}, "content", "longer than 4000 characters"),
    ({"colour": "red"}, "colour", "Unknown field"),
    ({"acceptance_department": None}, "acceptance_department", "null"),
])
def test_each_bad_field_is_named(client, fields, field, message):
    response = client.post("/api/v1/work-orders", "crm", json={**ORDER, **fields})
    assert response.status_code == 422, response.json
    errors = {e["field"].removeprefix("body."): e["message"] for e in response.json["errors"]}
    assert field in errors, errors
    assert message.lower() in errors[field].lower(), errors


@pytest.mark.parametrize("phone", ["13012345678", "14512345678", "15012345678", "16212345678",
                                   "17012345678", "18912345678", "19912345678"])
def test_every_current_mainland_mobile_prefix_is_accepted(client, phone):
    assert client.submit(customer_phone=phone)["customer_phone"] == phone


def test_malformed_and_oversize_bodies_are_refused(client, app):
    bad_json = client.post("/api/v1/work-orders", "crm", data="{not json",
                           headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    huge = client.post("/api/v1/work-orders", "crm",
                       json={**ORDER, "content": "x" * app.config["MAX_CONTENT_LENGTH"]})
    assert huge.status_code == 413


def test_numbers_count_up_per_day_in_the_configured_time_zone(client, api_clock):
    assert client.submit()["number"] == "WO-20260302-000001"
    assert client.submit()["number"] == "WO-20260302-000002"
    api_clock.advance(timedelta(hours=8))  # 16:00 UTC is midnight in Shanghai
    assert client.submit()["number"] == "WO-20260303-000001"


def test_a_retried_submission_returns_the_same_order(client, engine):
    first = client.submit(headers={"Idempotency-Key": "hotline-77"})
    again = client.post("/api/v1/work-orders", "crm", json=ORDER,
                        headers={"Idempotency-Key": "hotline-77"})
    assert again.status_code == 200 and again.json["number"] == first["number"]
    changed = client.post("/api/v1/work-orders", "crm", json={**ORDER, "content": "Other."},
                          headers={"Idempotency-Key": "hotline-77"})
    assert changed.status_code == 409 and first["number"] in changed.json["detail"]

    by_reference = client.submit(external_reference="CRM-5531")
    assert client.submit(expect=200, external_reference="CRM-5531")["number"] == \
        by_reference["number"]
    clash = client.post("/api/v1/work-orders", "crm",
                        json={**ORDER, "content": "Other.", "external_reference": "CRM-5531"})
    assert clash.status_code == 409
    # References are per integrator; without one, a repeat complaint is a new order.
    assert client.submit(as_="hotline", external_reference="CRM-5531")["number"] != \
        by_reference["number"]
    assert client.submit()["number"] != first["number"]
    assert count(engine, WorkOrder) == 4


def test_racing_identical_submissions_make_one_order(client, app, engine):
    from concurrent.futures import ThreadPoolExecutor

    def submit(_n):
        return client.of_its_own().post("/api/v1/work-orders", "crm", json=ORDER,
                                        headers={"Idempotency-Key": "race-1"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(submit, range(4)))
    assert all(r.status_code in (200, 201, 409) for r in responses), \
        [r.get_json() for r in responses]
    numbers = {r.get_json()["number"] for r in responses if r.status_code in (200, 201)}
    assert len(numbers) == 1
    assert count(engine, WorkOrder) == 1


def test_a_department_submits_as_itself(client):
    assert client.submit(as_="front_desk",
                         acceptance_department=None)["acceptance_department"] == "front_desk"
    refused = client.post("/api/v1/work-orders", "front_desk",
                          json={**ORDER, "acceptance_department": "billing"})
    assert refused.status_code == 403
    missing = client.post("/api/v1/work-orders", "crm",
                          json={k: v for k, v in ORDER.items() if k != "acceptance_department"})
    assert missing.status_code == 422
    assert missing.json["errors"] == [{"field": "body.acceptance_department",
                                       "message": "is required"}]


def test_detail_shows_the_customer_the_clock_and_the_timeline(client, api_clock, engine):
    number = client.submit(customer_tier="vip", customer_note="Prefers SMS.",
                           urgency="normal")["number"]
    api_clock.advance(timedelta(minutes=5))
    detail = client.order(number, as_="crm")
    assert detail["customer_tier"] == "vip" and detail["customer_note"] == "Prefers SMS."
    assert detail["category_names"][0].startswith("Network")
    assert detail["counts"] == {"urges": 0, "transfers": 0, "returns": 0,
                                "audit_rejections": 0, "supervisor_referrals": 0,
                                "reopens": 0}
    [stage] = detail["open_stages"]
    # VIP: every limit halved (the service-level table).
    assert (stage["stage_limit"], stage["department_limit"]) == ("PT7M30S", "PT45M")
    assert stage["seconds_remaining"] == 150
    assert stage["department_seconds_remaining"] == 40 * 60
    assert [e["type"] for e in detail["timeline"]] == ["started", "task_ready"]
    assert detail["lapses"] == [] and detail["escalations"] == []


def test_who_sees_which_order(client):
    mine = client.submit()["number"]
    theirs = client.submit(as_="hotline", acceptance_department="branch_front_desk")["number"]
    assert client.get(f"/api/v1/work-orders/{theirs}", "crm").status_code == 404
    assert client.get(f"/api/v1/work-orders/{mine}", "front_desk").status_code == 200
    # A department that has not touched the order does not see it ...
    assert client.get(f"/api/v1/work-orders/{mine}", "network_operations").status_code == 404
    assert client.get("/api/v1/work-orders/WO-00000000-000000", "manager").status_code == 404
    assert client.get(f"/api/v1/work-orders/{mine}", "designer").status_code == 403
    # ... and lists show each caller its own.
    assert [o["number"] for o in client.get("/api/v1/work-orders", "crm").json["items"]] == [
        mine]
    assert [o["number"] for o in client.get("/api/v1/work-orders",
                                            "branch_front_desk").json["items"]] == [theirs]
    assert client.get("/api/v1/work-orders", "manager").json["total"] == 2


def test_list_filters(client, api_clock, engine):
    first = client.submit(customer_phone="13900000001")["number"]
    api_clock.advance(timedelta(hours=1))
    second = client.submit(category="billing/disputed_charge/data_charge",
                           key_fields={"bill_month": "2026-02", "disputed_amount": 30},
                           urgency="urgent")["number"]
    # The first order is past its dispatch limit; the second is not.
    engine.timers.fire_due_timers("w")

    def numbers(**query):
        response = client.get("/api/v1/work-orders", "manager", query_string=query)
        assert response.status_code == 200, response.json
        return [o["number"] for o in response.json["items"]]

    assert numbers() == [second, first]
    assert numbers(category="network") == [first]
    assert numbers(category="network/no_signal") == [first]
    assert numbers(category="net") == []
    assert numbers(phone="13900000001") == [first]
    assert numbers(overdue="true") == [first]
    assert numbers(overdue="false") == [second]
    assert numbers(urgency="urgent") == [second]
    assert numbers(department="front_desk") == [second, first]
    assert numbers(department="billing") == []
    assert numbers(status="open") == [second, first] and numbers(status="closed") == []
    assert numbers(submitted_from="2026-03-02T08:30:00Z") == [second]
    assert numbers(submitted_to="2026-03-02T08:30:00+00:00") == [first]
    listed = client.get("/api/v1/work-orders", "manager", query_string={"overdue": "true"})
    [item] = listed.json["items"]
    assert item["overdue"] is True and item["responsible_departments"] == ["front_desk"]
    bad = client.get("/api/v1/work-orders", "manager",
                     query_string={"status": "lost", "submitted_from": "yesterday", "x": 1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {
        "query.status", "query.submitted_from", "query.x"}


FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in "13912345678")  # what an IME may type


@pytest.mark.parametrize("phone", ["13912345678\n", "\n13912345678", "13912345678 ",
                                   FULL_WIDTH])
def test_a_phone_number_is_exactly_its_digits(client, phone):
    response = client.post("/api/v1/work-orders", "crm", json={**ORDER, "customer_phone": phone})
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["body.customer_phone"]


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"acceptance_department": "billing"}, "acceptance_department",
     "'billing' does not work the acceptance lane (its roles: processing)"),
    ({"acceptance_department": "operations_supervisors"}, "acceptance_department",
     "does not work the acceptance lane (its roles: supervisor)"),
])
def test_departments_work_only_the_lanes_their_roles_name(client, fields, field, message):
    refused = client.submit(expect=422, **fields)
    assert any(e["field"] == f"body.{field}" and message in e["message"]
               for e in refused["errors"]), refused["errors"]


def test_a_dispatch_or_transfer_to_a_department_of_another_role_is_refused(client):
    from tests.api.conftest import act

    number = client.submit()["number"]
    [task] = client.inbox("front_desk", business_key=number)["items"]
    refused = client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                          json={"data": {"processing_department": "service_centre_supervisors"}})
    assert refused.status_code == 422
    assert "does not work the processing lane" in refused.json["errors"][0]["message"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                       json={"data": {"processing_department": "network_operations"}})
    assert done.status_code == 200
    transfer = act(client, number, "network_operations", "transfer", expect=422,
                   to_department="provincial_service_desk", reason="Not ours.")
    assert [e["field"] for e in transfer["errors"]] == ["body.to_department"]
    assert "does not work the processing lane" in transfer["errors"][0]["message"]
