"""Retention: closed orders past the configured age are archived by a command with a
dry run; state and timer rows go, the timeline and the report figures stay."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.store.models import OutboxEvent, ProcessInstance, Timer
from tests.api.conftest import TO_NETWORK, work


def close(client, number: str) -> None:
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    for stage in ("handle", "return_result"):
        work(client, number, "network_operations", stage=stage)
    for stage in ("audit", "feedback"):
        work(client, number, "front_desk", stage=stage)


def count(engine, model, instance_id: str) -> int:
    with engine.reading() as session:
        return session.scalar(select(func.count()).select_from(model)
                              .where(model.instance_id == instance_id)) or 0


def test_closed_orders_past_the_age_are_archived_with_a_dry_run_first(
        client, app, api_clock, engine):
    integrations = app.extensions["integrations"]
    old = client.submit()["number"]
    close(client, old)
    api_clock.advance(timedelta(days=100))
    recent = client.submit()["number"]
    close(client, recent)
    still_open = client.submit()["number"]
    api_clock.advance(timedelta(days=1))
    integrations.dispatch()  # the outbox handed on (no subscriber wants it)
    before = client.order(old, "manager")
    report = client.get("/api/v1/reports/timeliness", "manager",
                        query_string={"from": "2026-03-01", "group_by": "department"})
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["archive", "--dry-run", "--older-than", "P30D"])
    assert dry.exit_code == 0, dry.output
    assert f"would archive {old}" in dry.output and "1 order(s) would archive." in dry.output
    assert recent not in dry.output and still_open not in dry.output
    instance_id = before["instance_id"]
    assert count(engine, Timer, instance_id) > 0 and count(engine, OutboxEvent, instance_id) > 0

    done = runner.invoke(args=["archive", "--older-than", "P30D"])
    assert f"archived {old}" in done.output and "1 order(s) archived." in done.output
    with engine.reading() as session:
        assert session.get(ProcessInstance, instance_id).state == ""
    assert count(engine, Timer, instance_id) == 0 and count(engine, OutboxEvent, instance_id) == 0
    after = client.order(old, "manager")
    assert after["timeline"][:-1] == before["timeline"]
    assert after["timeline"][-1]["type"] == "archived"
    assert after["durations"] == before["durations"] and after["status"] == before["status"]
    assert client.get("/api/v1/reports/timeliness", "manager", query_string={
        "from": "2026-03-01", "group_by": "department"}).get_json() == report.get_json()
    # Nothing left to archive; a second run changes nothing.
    assert "0 order(s) archived." in runner.invoke(args=["archive", "--older-than",
                                                         "P30D"]).output
    assert "0 order(s) would archive." in runner.invoke(args=["archive", "--dry-run"]).output
    bad = runner.invoke(args=["archive", "--older-than", "soon"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output
