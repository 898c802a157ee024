"""A ladder notification held to its recipient's working hours (data/calendars.json:
network operations works 08:00-22:00 in Shanghai, 00:00-14:00 UTC) goes out by e-mail
and SMS only when it reaches the recipient, not when the rung fires."""
from __future__ import annotations

from dataclasses import replace

from engine.integrations.channels import SmsGateway, SmtpChannel
from tests.api.conftest import TO_NETWORK, free_port, work
from tests.api.test_email_and_sms import NETWORK, start_smtp
from tests.api.test_held_notifications import at, tick_to, told
from tests.api.webhook_helpers import allow_loopback, deliver_all
from tests.receivers import Receiver

WARNING = "预警 / Warning"


def test_a_held_warning_is_mailed_and_texted_when_the_working_day_starts(
        client, app, api_clock, engine):
    integrations = allow_loopback(app)
    port = free_port()
    gateway = Receiver().start()
    controller, inbox = start_smtp(port)
    try:
        integrations.people.channels = {
            "email": SmtpChannel("127.0.0.1", port, sender="workorders@example.com",
                                 timeout=5),
            "sms": SmsGateway(gateway.url)}
        integrations.people.contacts = replace(
            integrations.people.contacts, sms={"network_operations": ("13800138000",)})
        number = client.submit()["number"]
        api_clock.set(at("02T13:00:00"))  # 21:00 in Shanghai
        work(client, number, "front_desk", TO_NETWORK, stage="dispatch")
        tick_to(api_clock, engine, at("02T14:30:01"))  # the warning, at 22:30 there

        def warned() -> tuple[int, int]:
            mails = [m for m in inbox.to(NETWORK) if number in m["Subject"]
                     and WARNING in m["Subject"]]
            texts = [r for r in gateway.received
                     if f"[{number}] {WARNING}" in r.json["text"]]
            return len(mails), len(texts)

        deliver_all(integrations)
        assert told(client, "network_operations", number) == []
        assert warned() == (0, 0)
        tick_to(api_clock, engine, at("02T23:59:59"))  # still the night there
        deliver_all(integrations)
        assert warned() == (0, 0)
        tick_to(api_clock, engine, at("03T00:00:00"))  # 08:00 in Shanghai
        deliver_all(integrations)
        assert warned() == (1, 1)
        # Once each: later rounds send nothing again.
        tick_to(api_clock, engine, at("03T01:00:00"))
        deliver_all(integrations)
        assert warned() == (1, 1)
    finally:
        controller.stop()
        gateway.close()
