"""Ladder notifications held to the recipient's working hours (data/calendars.json):
network operations works 08:00-22:00 in Shanghai (00:00-14:00 UTC); a warning falling due
after hours reaches it when its day starts, a breach of an urgent order at once."""
from __future__ import annotations

from datetime import datetime

from tests.api.conftest import TO_NETWORK, notifications, work


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"2026-03-{text}+00:00")


def tick_to(api_clock, engine, moment: datetime) -> None:
    api_clock.set(moment)
    engine.timers.fire_due_timers("worker")


def told(client, who: str, number: str) -> list[tuple[str, str]]:
    return sorted((n["event"], n["detail"].get("limit_kind"))
                  for n in notifications(client, who, business_key=number))


STAGE_WARNING, STAGE_BREACH = ("warning", "stage"), ("breach", "stage")
TOTAL_BREACH = ("breach", "department")


def test_a_warning_after_hours_waits_for_the_start_of_the_day(client, api_clock, engine):
    number = client.submit()["number"]
    api_clock.set(at("02T13:00:00"))  # 21:00 in Shanghai: handling due 15:00 (23:00)
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    tick_to(api_clock, engine, at("02T14:30:01"))  # the warning, at 22:30 there
    [warning] = [e for e in client.order(number)["timeline"] if e["type"] == "escalated"
                 and e["stage"] == "handle"]
    assert warning["detail"]["notified"] == ["network_operations"]
    assert told(client, "network_operations", number) == []
    tick_to(api_clock, engine, at("02T15:00:01"))  # the breach: held too (not urgent)
    assert told(client, "network_operations", number) == []
    tick_to(api_clock, engine, at("02T23:59:59"))
    assert told(client, "network_operations", number) == []
    # Marking everything read does not touch what has not arrived yet.
    read = client.post("/api/v1/notifications/read-all", "network_operations")
    assert (read.status_code, read.json["marked"]) == (200, 0)
    tick_to(api_clock, engine, at("03T00:00:00"))  # 08:00 in Shanghai
    assert told(client, "network_operations", number) == [TOTAL_BREACH, STAGE_BREACH,
                                                          STAGE_WARNING]
    assert all(n["read_at"] is None
               for n in notifications(client, "network_operations", business_key=number))
    # The hotline's desk (the default 24x7 calendar) is told at once, day and night.
    assert told(client, "front_desk", number) != []


def test_a_breach_of_an_urgent_order_is_never_held(client, api_clock, engine):
    number = client.submit(urgency="urgent")["number"]
    api_clock.set(at("02T14:00:00"))  # 22:00 there: handling (30 min) due 14:30
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    tick_to(api_clock, engine, at("02T14:30:01"))
    assert told(client, "network_operations", number) == [STAGE_BREACH]  # the warning waits
    supervisors = [n["event"] for n in notifications(client, "admin", business_key=number)
                   if n["recipient"] == "operations_supervisors"]
    assert supervisors == ["breach"]
    tick_to(api_clock, engine, at("02T14:45:01"))  # the total (45 min): not held either
    assert told(client, "network_operations", number) == [TOTAL_BREACH, STAGE_BREACH]
    tick_to(api_clock, engine, at("03T00:00:00"))
    assert told(client, "network_operations", number) == [TOTAL_BREACH, STAGE_BREACH,
                                                          STAGE_WARNING]
