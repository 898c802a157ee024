"""Notes and customer contacts (issue 15): internal work notes, interim replies to the
customer and a contact log; the rule that an open order needs a contact every 24 hours
(data/people.json) and the orders missing one."""
from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import events, work
from tests.api.people import person
from tests.orders import FORM_DATA


def _log(client, number: str, as_: str, expect: int = 201, **body) -> dict:
    response = client.post(f"/api/v1/work-orders/{number}/case-log", as_, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def _read(client, number: str, as_: str) -> dict:
    response = client.get(f"/api/v1/work-orders/{number}/case-log", as_)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_notes_replies_and_contacts_are_logged_with_author_time_and_outcome(client,
                                                                            api_clock):
    person(client, "H1", ["handler"], ["front_desk"])
    number = client.submit()["number"]
    api_clock.advance(timedelta(minutes=30))
    called_at = api_clock.now() - timedelta(minutes=10)
    _log(client, number, "H1", kind="contact", outcome="not_reached",
         at=called_at.isoformat())
    _log(client, number, "H1", kind="contact", outcome="sms_sent", text="Sent the number.")
    _log(client, number, "H1", kind="note", text="Customer is abroad until Friday.")
    _log(client, number, "H1", kind="interim_reply", text="We are checking the base station.")
    log = _read(client, number, "front_desk")
    assert [(e["kind"], e["outcome"], e["author"], e["department"]) for e in log["entries"]] \
        == [("contact", "not_reached", "H1", "front_desk"),
            ("contact", "sms_sent", "H1", "front_desk"),
            ("note", None, "H1", "front_desk"),
            ("interim_reply", None, "H1", "front_desk")]
    assert log["entries"][0]["at"].startswith(called_at.isoformat()[:19])
    # The customer's side (the integrator) reads the interim reply, not internal notes;
    # the timeline says a note was made, without its text.
    assert [e["kind"] for e in _read(client, number, "crm")["entries"]] == ["interim_reply"]
    order = client.order(number, "crm")
    assert [e["detail"].get("text") for e in events(order, "case_note")] == [None]
    assert events(order, "case_interim_reply")[0]["detail"]["text"] \
        == "We are checking the base station."
    assert events(order, "case_contact")[0]["actor"] == "H1"


def test_bad_entries_are_refused_with_their_fields(client, api_clock):
    number = client.submit()["number"]
    for body, fields in [
        ({"kind": "contact"}, ["body.outcome"]),
        ({"kind": "note"}, ["body.text"]),
        ({"kind": "note", "text": "x", "outcome": "called"}, ["body.outcome"]),
        ({"kind": "contact", "outcome": "called",
          "at": (api_clock.now() + timedelta(hours=1)).isoformat()}, ["body.at"]),
        ({"kind": "contact", "outcome": "called",
          "at": (api_clock.now() - timedelta(days=1)).isoformat()}, ["body.at"]),
        ({"kind": "gossip", "text": "x"}, ["body.kind"]),
    ]:
        refused = _log(client, number, "front_desk", expect=422, **body)
        assert [e["field"] for e in refused["errors"]] == fields, body
    assert _read(client, number, "front_desk")["entries"] == []
    _log(client, number, "billing", expect=404, kind="note", text="x")  # not its order
    _log(client, number, "crm", expect=403, kind="note", text="x")


def test_an_open_order_without_a_contact_for_24_hours_is_listed(client, api_clock):
    quiet = client.submit(external_reference="C-1")["number"]
    called = client.submit(external_reference="C-2")["number"]
    closed = client.submit(external_reference="C-3")["number"]
    work(client, closed, "front_desk", FORM_DATA["dispatch.json"])
    client.post(f"/api/v1/work-orders/{closed}/withdraw", "front_desk", json={"reason": "x"})
    api_clock.advance(timedelta(hours=20))
    _log(client, called, "front_desk", kind="contact", outcome="called")
    api_clock.advance(timedelta(hours=4, seconds=1))
    due = client.get("/api/v1/reports/contacts-due", "manager").get_json()
    assert [row["number"] for row in due] == [quiet]
    assert due[0]["overdue_seconds"] == 1.0 and due[0]["last_contact_at"] is None
    state = _read(client, quiet, "front_desk")["contact"]
    assert state["every"] == "P1D" and state["overdue"] is True
    assert _read(client, called, "front_desk")["contact"]["overdue"] is False
    assert _read(client, closed, "front_desk")["contact"]["due_at"] is None
    api_clock.advance(timedelta(hours=20))
    due = client.get("/api/v1/reports/contacts-due", "front_desk").get_json()
    assert [row["number"] for row in due] == [quiet, called]
    assert client.get("/api/v1/reports/contacts-due", "billing").get_json() == []
    assert client.get("/api/v1/reports/contacts-due", "crm").status_code == 403
