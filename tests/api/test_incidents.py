"""A timer whose firing keeps failing: each attempt counted with its error and put off,
after N an incident (over HTTP and the CLI) that nothing retries on its own; retried,
the timer fires once."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import InstanceFailed
from engine.runtime.incidents import RetryPolicy
from tests.api.conftest import events

POLICY = RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=10),
                     max_delay=timedelta(minutes=1))
# Past the second attempt's delay (at most 20 s), and still before the dispatch's limit
# (15 min) and breach rung after three of them from 12 min.
PAST_NEXT_ATTEMPT = timedelta(seconds=21)


@pytest.fixture
def breakable(engine, monkeypatch):
    """The engine's step pipeline, made to fail (as a broken diagram or database would)
    while `broken["on"]` (set it once the order is submitted)."""
    broken = {"on": False, "calls": 0}
    advance = engine.pipeline.advance

    def failing(step):
        if broken["on"]:
            broken["calls"] += 1
            raise InstanceFailed(f"instance {step.instance.id}: the diagram broke")
        return advance(step)

    monkeypatch.setattr(engine.pipeline, "advance", failing)
    monkeypatch.setattr(engine.timers, "retry", POLICY)
    return broken


def test_a_failing_timer_becomes_an_incident_and_fires_once_after_retry(
        client, app, api_clock, engine, breakable):
    number = client.submit()["number"]
    breakable["on"] = True
    api_clock.advance(timedelta(minutes=12))  # the dispatch's warning rung (75 %) is due
    for attempt in range(1, 4):
        assert engine.timers.fire_due_timers("w1") == 0
        assert breakable["calls"] == attempt
        # Put off: not tried again before its next attempt, by this worker or another.
        assert engine.timers.fire_due_timers("w2") == 0
        assert breakable["calls"] == attempt
        api_clock.advance(PAST_NEXT_ATTEMPT)
    # Three failures: an incident, and no more attempts on its own.
    assert engine.timers.fire_due_timers("w1") == 0
    assert breakable["calls"] == 3
    [incident] = client.get("/api/v1/incidents", "manager").get_json()["items"]
    assert (incident["kind"], incident["business_key"], incident["attempts"],
            incident["state"]) == ("timer", number, 3, "open")
    assert "the diagram broke" in incident["last_error"]
    listed = app.test_cli_runner().invoke(args=["incidents", "list"])
    assert number in listed.output and "1 incident(s)" in listed.output
    assert events(client.order(number), "escalated") == []

    breakable["on"] = False
    retried = client.post(f"/api/v1/incidents/{incident['id']}/retry", "admin").get_json()
    assert (retried["state"], retried["closed_by"]) == ("retried", "admin")
    assert engine.timers.fire_due_timers("w1") == 1
    assert engine.timers.fire_due_timers("w1") == 0
    [escalated] = events(client.order(number), "escalated")
    assert escalated["detail"]["rung"] == "warning"
    assert client.get("/api/v1/incidents", "manager").get_json()["items"] == []
    assert client.get("/api/v1/incidents", "manager",
                      query_string={"state": "all"}).get_json()["total"] == 1


def test_resolving_an_incident_retries_nothing(client, app, api_clock, engine, breakable):
    client.submit()
    breakable["on"] = True
    api_clock.advance(timedelta(minutes=12))
    for _ in range(3):
        engine.timers.fire_due_timers("w1")
        api_clock.advance(PAST_NEXT_ATTEMPT)
    [incident] = client.get("/api/v1/incidents", "manager").get_json()["items"]
    runner = app.test_cli_runner()
    assert "resolved" in runner.invoke(args=["incidents", "resolve",
                                             str(incident["id"])]).output
    breakable["on"] = False
    assert engine.timers.fire_due_timers("w1") == 0
    again = runner.invoke(args=["incidents", "retry", str(incident["id"])])
    assert again.exit_code != 0 and "already resolved" in again.output
    assert client.post("/api/v1/incidents/999/retry", "admin").status_code == 404
