"""E-mail through a real SMTP server in the test process (aiosmtpd), and SMS through an
HTTP gateway stub: the ladder's notifications and the daily digest of stages at risk,
plain text and HTML in Chinese and English, retried when the server is down."""
from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from engine.integrations.channels import SmsGateway, SmtpChannel
from tests.api.conftest import TO_NETWORK, free_port, work
from tests.api.webhook_helpers import WAIT_PAST_RETRY, allow_loopback, deliver_all
from tests.receivers import Receiver

NETWORK = "network-operations@workorders.example.com"
SUPERVISORS = "operations-supervisors@workorders.example.com"


class Inbox:
    """What the SMTP server accepted: (recipients, parsed message)."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mails.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.mails if address in rcpt]


@pytest.fixture
def smtp_port():
    return free_port()


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def bodies(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_notifications_and_the_digest_reach_departments_by_smtp_retried(
        client, app, api_clock, engine, smtp_port):
    integrations = allow_loopback(app)
    integrations.people.channels = {"email": SmtpChannel("127.0.0.1", smtp_port,
                                                         sender="workorders@example.com",
                                                         timeout=5)}
    number = client.submit()["number"]
    work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
    api_clock.advance(timedelta(minutes=100))  # handling: 2 h; the warning rung at 75 %
    engine.timers.fire_due_timers("w1")

    deliver_all(integrations)  # no SMTP server yet: every message fails once
    controller, inbox = start_smtp(smtp_port)
    try:
        assert inbox.mails == []
        api_clock.advance(WAIT_PAST_RETRY)
        deliver_all(integrations)
        [warning] = [m for m in inbox.to(NETWORK) if "预警" in m["Subject"]]
        assert warning["Subject"] == f"[{number}] 预警 / Warning"
        assert warning["From"] == "workorders@example.com"
        text, html = bodies(warning)
        for part in (text, html):
            assert number in part and "Network operations (网络部)" in part
            assert "工单 / Order" in part and "环节 / Stage" in part
        assert "<table>" in html and "<table>" not in text
        # The digest of stages at risk: the department and its supervisor, once a day.
        digests = [m for m in inbox.to(NETWORK) + inbox.to(SUPERVISORS)
                   if "风险环节日报" in m["Subject"]]
        assert len(digests) == 2
        assert "Stages at risk: Network operations (网络部) (1)" in digests[0]["Subject"]
        text, html = bodies(digests[0])
        assert number in text and "临近超时 / at risk" in text and number in html
        sent = len(inbox.mails)
        api_clock.advance(timedelta(hours=1))
        deliver_all(integrations)
        assert not [m for m in inbox.mails[sent:] if "风险环节日报" in m["Subject"]]
    finally:
        controller.stop()


def test_an_sms_gateway_behind_the_same_interface(client, app, api_clock, engine):
    integrations = allow_loopback(app)
    gateway = Receiver(fail_first=1).start()
    try:
        integrations.people.channels = {"sms": SmsGateway(gateway.url, token="gw-token")}
        integrations.people.contacts = replace(
            integrations.people.contacts, sms={"network_operations": ("13800138000",)})
        number = client.submit()["number"]
        work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
        api_clock.advance(timedelta(minutes=100))
        engine.timers.fire_due_timers("w1")
        deliver_all(integrations)
        api_clock.advance(WAIT_PAST_RETRY)
        deliver_all(integrations)
        texts = [r.json for r in gateway.received]
        warnings = [t for t in texts if f"[{number}] 预警 / Warning" in t["text"]]
        assert len(warnings) == 2  # refused once, then accepted
        assert {t["to"] for t in texts} == {"13800138000"}
        assert gateway.received[0].headers["Authorization"] == "Bearer gw-token"
    finally:
        gateway.close()
