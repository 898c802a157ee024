"""Every outbox event type the engine writes is in the event catalogue (with its
payload documented) or deliberately internal: statically (the diagrams' escalation
codes, the engine's `publish("...")` calls) and by driving orders through every kind of
change and reading back what the outbox holds."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from engine.integrations.catalogue import CATALOGUE, INTERNAL, public_type
from engine.store.models import OutboxEvent
from tests.api.conftest import TO_NETWORK, act, work
from tests.api.people import person
from tests.api.test_order_deadline import tick_to
from tests.api.test_pauses import pause
from tests.api.test_webhooks import drive_order

ROOT = Path(__file__).resolve().parents[2]


def known(outbox_type: str) -> bool:
    return public_type(outbox_type) in CATALOGUE or outbox_type in INTERNAL


def test_the_diagrams_codes_and_the_engines_literal_types_are_catalogued():
    codes = {code for path in (ROOT / "processes").glob("*.bpmn")
             for code in re.findall(r'escalationCode="([^"]+)"', path.read_text())}
    literals = {name for path in (ROOT / "engine").rglob("*.py")
                for name in re.findall(r'\bpublish\(\s*"([^"]+)"', path.read_text())}
    assert {"stage_overdue", "transferred"} <= codes and "stage_opened" in literals
    assert sorted(t for t in codes | literals if not known(t)) == []
    assert not set(INTERNAL) & {outbox for outbox in codes | literals
                                if public_type(outbox) in CATALOGUE}


def test_every_type_a_driven_order_writes_is_catalogued(client, app, api_clock, engine):
    drive_order(client, api_clock, engine)  # lapses, rungs, urge, transfer, ... close
    paused = client.submit()["number"]
    work(client, paused, "front_desk", TO_NETWORK, stage="dispatch")
    pause(client, paused, note="Waiting for the bill")
    api_clock.advance(timedelta(minutes=5))
    act(client, paused, "network_operations", "resume", note="Bill received")
    act(client, paused, "front_desk", "withdraw", reason="The problem went away.")
    person(client, "SUP", ["supervisor"], ["front_desk"])
    first = client.submit()["number"]
    act(client, client.submit()["number"], "SUP", "cancel", reason="Raised twice.",
        duplicate_of=first)
    client.submit(urgency="urgent")  # its order deadline (12 h) passes: order_overdue
    tick_to(api_clock, engine, api_clock.now() + timedelta(hours=13))

    with engine.reading() as session:
        written = set(session.scalars(select(OutboxEvent.type).distinct()))
    expected = {"instance_started", "stage_opened", "stage_overdue", "department_overdue",
                "escalated", "urged", "transferred", "sent_back", "audit_rejected",
                "notification", "instance_ended", "paused", "resumed", "withdrawn",
                "cancelled", "order_overdue"}
    assert expected <= written, expected - written
    assert sorted(t for t in written if not known(t)) == []
    # The feed serves each of them under its public name.
    served = {item["type"] for item in client.get(
        "/api/v1/events", "manager", query_string={"limit": 500}).get_json()["items"]}
    assert {public_type(t) for t in written} - set(INTERNAL) == served
