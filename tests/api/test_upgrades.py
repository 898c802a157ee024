"""Upgraded complaints and liability (issue 14): upgrade channels at intake, a manager's
escalation, the service level an upgraded order gets (tighter limits, the supervisor
told at once, the `upgraded` variable for the flows), and the liability judgment:
revisable, every version on the timeline, the KPI following the latest."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.conftest import TO_NETWORK, events, notifications, work

MARCH_10 = "2026-03-10T10:00:00+08:00"


def variables(engine, order: dict) -> dict:
    return engine.reads.get_instance(order["instance_id"]).variables


def told(client, who: str, event: str) -> list[str]:
    return sorted(n["business_key"] for n in notifications(client, who)
                  if n["event"] == event)


def test_an_upgrade_channel_makes_an_upgraded_order_with_tighter_limits(client, engine):
    normal = client.submit()
    regulator = client.submit(channel="regulator", external_reference="MIIT-7")
    association = client.submit(channel="consumer_association")
    assert not normal["upgraded"] and normal["upgrade"]["source"] is None
    assert regulator["upgraded"] and regulator["upgrade"]["source"] == "regulator"
    assert regulator["upgrade"]["reference"] == "MIIT-7"
    [event] = events(regulator, "upgraded")
    assert event["detail"]["told"] == ["desk_supervisors", "management"]
    # The service level (processes/service_levels.dmn): half the limits as drawn.
    assert (variables(engine, normal)["limit_factor"],
            variables(engine, regulator)["limit_factor"]) == (1, 0.5)
    assert variables(engine, regulator)["upgraded"] is True
    assert variables(engine, normal)["upgraded"] is False
    submitted = datetime.fromisoformat(regulator["submitted_at"])
    assert datetime.fromisoformat(regulator["open_stages"][0]["due_at"]) - submitted == \
        timedelta(minutes=7, seconds=30)  # dispatch: 15 minutes x 0.5
    # The supervisor at once (the upgrade service table); management only for the regulator.
    assert told(client, "desk_supervisors", "upgraded") == [regulator["number"],
                                                           association["number"]]
    assert told(client, "manager", "upgraded") == [regulator["number"]]


def test_a_manager_escalates_an_order_with_its_source_and_reference(client, engine):
    order = client.submit()
    number = order["number"]
    path = f"/api/v1/work-orders/{number}/escalate"
    body = {"source": "group_headquarters", "reference": "GHQ-2026-0042"}
    assert client.post(path, "front_desk", json=body).status_code == 403
    bad = client.post(path, "manager", json={**body, "source": "newspaper"})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "body.source"
    assert not client.order(number)["upgraded"]  # a refusal changes nothing

    escalated = client.post(path, "manager", json=body)
    assert escalated.status_code == 200, escalated.json
    upgrade = escalated.json["upgrade"]
    assert (upgrade["upgraded"], upgrade["source"], upgrade["reference"]) == (
        True, "group_headquarters", "GHQ-2026-0042")
    [event] = events(escalated.json, "upgraded")
    assert event["actor"] == "manager" and event["detail"]["told"] == ["desk_supervisors"]
    assert told(client, "desk_supervisors", "upgraded") == [number]
    # The flows read it from now on, on the stages still to come too.
    assert variables(engine, order)["upgraded"] is True
    work(client, number, "front_desk", TO_NETWORK)
    assert variables(engine, order)["upgraded"] is True
    again = client.post(path, "manager", json=body)
    assert again.status_code == 409


def judge(client, number: str, expect: int = 200, **body) -> dict:
    response = client.post(f"/api/v1/work-orders/{number}/liability", "manager", json=body)
    assert response.status_code == expect, response.json
    return response.json


def kpi_month(client, year: int, month: int) -> dict:
    body = client.get("/api/v1/reports/kpi", "manager",
                      query_string={"year": year, "month": month}).json
    return {d["department"]: d["month"] for d in body["departments"]}


def test_liability_revised_twice_keeps_every_version_and_the_kpi_follows_the_latest(
        client, api_clock):
    plain = client.submit()["number"]
    judge(client, plain, 409, liable=False)  # not an upgraded complaint
    number = client.submit(channel="regulator")["number"]
    errors = judge(client, number, 422, liable=True, departments=["astrology"],
                   cause="bad_luck", judged_at="2027-01-01T00:00:00+00:00")["errors"]
    assert {e["field"] for e in errors} == {"body.departments", "body.cause",
                                            "body.judged_at"}
    assert judge(client, number, 422, liable=False, departments=["billing"])["errors"][0][
        "field"] == "body.departments"

    api_clock.advance(timedelta(days=10))  # 2026-03-12
    first = judge(client, number, liable=True, departments=["network_operations"],
                  cause="network_quality", judged_at=MARCH_10, note="Coverage gap")
    assert first["upgrade"]["liability"]["version"] == 1
    assert kpi_month(client, 2026, 3)["network_operations"]["orders"] == [number]

    api_clock.advance(timedelta(days=5))
    judge(client, number, liable=False, note="The group reversed it")
    assert kpi_month(client, 2026, 3)["network_operations"]["liable_complaints"] == 0

    api_clock.set(datetime(2026, 4, 3, 2, 0, tzinfo=UTC))
    last = judge(client, number, liable=True, departments=["billing", "network_operations"],
                 cause="billing_error", major=True, note="Appeal lost")
    versions = last["upgrade"]["judgments"]
    assert [(v["version"], v["liable"], v["departments"], v["cause"]) for v in versions] == [
        (1, True, ["network_operations"], "network_quality"), (2, False, [], None),
        (3, True, ["billing", "network_operations"], "billing_error")]
    assert last["upgrade"]["liability"]["cause_name"].startswith("Billing or charging")
    timeline = [e for e in last["timeline"] if e["type"].startswith("liability_")]
    assert [(e["type"], e["detail"]["version"], e["detail"]["liable"]) for e in timeline] == [
        ("liability_judged", 1, True), ("liability_revised", 2, False),
        ("liability_revised", 3, True)]
    assert timeline[0]["detail"]["note"] == "Coverage gap"

    # The KPI counts the latest version, in its month (April), major extra included.
    assert kpi_month(client, 2026, 3)["network_operations"]["liable_complaints"] == 0
    april = kpi_month(client, 2026, 4)
    billing = april["billing"]  # deduction value 0.8 (departments.json)
    assert (billing["liable_complaints"], billing["orders"], billing["deduction"],
            billing["major_orders"], billing["major_deduction"],
            billing["total_deduction"]) == (1, [number], 0.8, [number], 1.0, 1.8)
    assert april["network_operations"]["total_deduction"] == 2.0  # 1.0 x 1 + 1 major
