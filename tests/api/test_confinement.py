"""The generic start does not reach work orders (issue 13).

An integrator could start a work-order flow by key, with a business key equal to the
next work-order number: every later intake drawing that number failed with 409, and the
squatted instance sat in the desk's inbox with no work order, a free-text category and
the departments the caller chose. Work-order flows, and business keys shaped like a
work-order number, are refused by the generic start (403) and nothing is created; work
orders start through intake only. The reports count work orders, not such instances
(tests/api/test_reports_api.py).
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.store.models import HumanTask, ProcessInstance, TimelineEvent, Timer
from engine.workorders.models import WorkOrder
from tests.api.conftest import GENERIC, deploy
from tests.conftest import PROCESSES
from tests.orders import SUBMISSION

START = "/api/v1/process-definitions/{}/start"
# The first number intake gives on the tests' day (2026-03-02 in Asia/Shanghai).
NEXT_NUMBER = "WO-20260302-000001"


def _rows(engine) -> dict[str, int]:
    with engine.reading() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (ProcessInstance, HumanTask, Timer, TimelineEvent, WorkOrder)}


def _refused(response, *words: str) -> dict:
    assert response.status_code == 403, response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.get_json()
    assert "intake" in body["detail"] and all(word in body["detail"] for word in words), body
    return body


@pytest.mark.parametrize("flow", ["single_dispatch", "one_department", "two_department_relay"])
def test_a_generic_start_of_a_work_order_flow_is_403_and_creates_nothing(client, engine,
                                                                          flow):
    before = _rows(engine)
    for version in (None, 1):  # pinning the version is no way around it
        _refused(client.post(START.format(flow), "crm", headers={"Idempotency-Key": "sq-1"},
                             json={"business_key": "SQUAT-1", "variables": SUBMISSION,
                                   "version": version}), repr(flow), "work-order flow")
    # An administrator may start what an integrator may, and no more.
    _refused(client.post(START.format(flow), "admin",
                         json={"business_key": "SQUAT-2", "variables": SUBMISSION}))
    assert _rows(engine) == before
    assert client.inbox("front_desk")["total"] == 0
    assert engine.reads.find_instance(flow, "SQUAT-1") is None


def test_the_idempotency_key_of_a_refused_start_is_not_taken(client, generic):
    _refused(client.post(START.format("one_department"), "crm",
                         headers={"Idempotency-Key": "k-refused"},
                         json={"business_key": "K-1", "variables": SUBMISSION}))
    started = client.post(START.format(generic), "crm", headers={"Idempotency-Key": "k-refused"},
                          json={"business_key": "K-1", "variables": SUBMISSION})
    assert started.status_code == 201, started.get_json()


@pytest.mark.parametrize("business_key", [
    NEXT_NUMBER, NEXT_NUMBER.lower(), f" {NEXT_NUMBER} ", "WO-20260302-1",
    "WO-20260302-000002",
])
def test_a_business_key_shaped_like_a_work_order_number_is_403_and_intake_keeps_it(
        client, generic, engine, business_key):
    before = _rows(engine)
    _refused(client.post(START.format(generic), "crm",
                         json={"business_key": business_key, "variables": SUBMISSION}),
             "work-order number")
    assert _rows(engine) == before
    # Intake still draws the number the generic start reached for, and the next one.
    first, second = client.submit(), client.submit()
    assert (first["number"], second["number"]) == (NEXT_NUMBER, "WO-20260302-000002")
    assert client.order(NEXT_NUMBER)["instance_id"] == first["instance_id"]


def test_business_keys_not_shaped_like_a_number_are_the_generic_starts_own(client, generic):
    for business_key in ("WO-2", "WO-000001", "WO-2026030-000001", "XX-20260302-000001",
                         "WO-20260302-000001-retry"):
        response = client.post(START.format(generic), "crm",
                               json={"business_key": business_key, "variables": SUBMISSION})
        assert response.status_code == 201, (business_key, response.get_json())
    assert client.submit()["number"] == NEXT_NUMBER


def test_a_flow_the_newest_routing_table_names_becomes_a_work_order_flow(client, generic):
    assert client.start("BEFORE-1")["business_key"] == "BEFORE-1"
    routing = (PROCESSES / "routing.dmn").read_bytes()
    rerouted = routing.replace(b"<text>&quot;one_department&quot;</text>",
                               f"<text>&quot;{GENERIC}&quot;</text>".encode(), 1)
    assert rerouted != routing
    response = deploy(client, {"routing.dmn": rerouted})
    assert response.status_code == 201, response.get_json()
    _refused(client.post(START.format(generic), "crm",
                         json={"business_key": "AFTER-1", "variables": SUBMISSION}),
             repr(GENERIC))
    # The copy's instance started before the table named it runs on as it was.
    assert client.get("/api/v1/process-instances", "crm",
                      query_string={"business_key": "BEFORE-1"}).json["total"] == 1

