"""The integrations as the app runs them: settings from data/integrations.json, SSRF
allowances and the e-mail / SMS channels from the configuration (environment), the
addresses from the directory files."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from engine.integrations.channels import Channel, SmsGateway, SmtpChannel
from engine.integrations.contacts import Contacts
from engine.integrations.service import Integrations, People
from engine.integrations.settings import IntegrationSettings, flag
from engine.process_engine import ProcessEngine
from engine.reference.directory import Directory
from engine.reports import Reports

# Deployment settings, from the environment unless the app's config gives them.
ENVIRONMENT = ("WEBHOOKS_ALLOW_LOOPBACK", "WEBHOOKS_ALLOW_PRIVATE", "SMTP_HOST", "SMTP_PORT",
               "SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "SMS_GATEWAY_URL",
               "SMS_GATEWAY_TOKEN")


def environment_config() -> dict[str, Any]:
    return {name: os.environ.get(name) for name in ENVIRONMENT}


def load_settings(config: dict[str, Any], data_dir: Path) -> IntegrationSettings:
    return IntegrationSettings.load(
        data_dir / "integrations.json",
        allow_loopback=flag(config.get("WEBHOOKS_ALLOW_LOOPBACK")),
        allow_private=flag(config.get("WEBHOOKS_ALLOW_PRIVATE")))


def channels(config: dict[str, Any]) -> dict[str, Channel]:
    """SMTP when SMTP_HOST is set; the SMS gateway when SMS_GATEWAY_URL is."""
    found: dict[str, Channel] = {}
    if config.get("SMTP_HOST"):
        found["email"] = SmtpChannel(
            host=str(config["SMTP_HOST"]), port=int(config.get("SMTP_PORT") or 25),
            sender=str(config.get("SMTP_FROM") or "workorders@localhost"),
            username=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=flag(config.get("SMTP_STARTTLS")))
    if config.get("SMS_GATEWAY_URL"):
        found["sms"] = SmsGateway(str(config["SMS_GATEWAY_URL"]),
                                  config.get("SMS_GATEWAY_TOKEN") or None)
    return found


def build(engine: ProcessEngine, settings: IntegrationSettings, config: dict[str, Any],
          data_dir: Path, directory: Directory, reports: Reports) -> Integrations:
    people = People(
        contacts=Contacts.load(data_dir / "departments.json", settings.messages.management),
        channels=channels(config), directory=directory,
        at_risk=lambda: [stage.as_dict() for stage in reports.at_risk(per_page=None)[0].items])
    return Integrations(
        engine, settings, departments={d.id for d in directory}, people=people,
        flows=engine.catalog.deployed_keys)
