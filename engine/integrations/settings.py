"""data/integrations.json: how webhooks are delivered and retried, and how a failing
timer is retried. Every value has a default; each error names the file and the field."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.integrations.messaging import MessageSettings
from engine.reference.data_files import DataFileInvalid, read_json
from engine.runtime.incidents import RetryPolicy
from engine.runtime.sandbox import parse_duration


class IntegrationSettingsInvalid(DataFileInvalid):
    """data/integrations.json is malformed; the message says where."""


@dataclass(frozen=True)
class WebhookSettings:
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(
        max_attempts=8, first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1)))
    disable_after_failures: int = 50
    timeout_seconds: float = 10.0
    lease: timedelta = timedelta(minutes=5)
    per_subscription_batch: int = 20
    max_per_owner: int = 20


@dataclass(frozen=True)
class IntegrationSettings:
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    timer_retry: RetryPolicy = field(default_factory=RetryPolicy)
    messages: MessageSettings = field(default_factory=MessageSettings)
    archive_after: timedelta = timedelta(days=365)  # closed orders, by `flask archive`
    # Deployment choices, not business data: from the environment / app config.
    allow_loopback: bool = False
    allow_private: bool = False

    @classmethod
    def load(cls, path: Path, *, allow_loopback: bool = False,
             allow_private: bool = False) -> IntegrationSettings:
        """The file's settings (all defaults if there is no such file)."""
        if not path.exists():
            return cls(allow_loopback=allow_loopback, allow_private=allow_private)
        document = read_json(path, IntegrationSettingsInvalid)
        if not isinstance(document, dict):
            raise IntegrationSettingsInvalid(f"{path}: expected a JSON object")
        reader = _Reader(str(path))
        hooks = reader.section(document, "webhooks")
        timers = reader.section(document, "timers")
        defaults = WebhookSettings()
        return cls(
            WebhookSettings(
                retry=reader.retry(hooks, "webhooks", defaults.retry),
                disable_after_failures=reader.whole(hooks, "webhooks", "disable_after_failures",
                                                    defaults.disable_after_failures),
                timeout_seconds=float(reader.whole(hooks, "webhooks", "timeout_seconds",
                                                   int(defaults.timeout_seconds))),
                lease=reader.duration(hooks, "webhooks", "lease", defaults.lease),
                per_subscription_batch=reader.whole(hooks, "webhooks", "per_subscription_batch",
                                                    defaults.per_subscription_batch),
                max_per_owner=reader.whole(hooks, "webhooks", "max_per_owner",
                                           defaults.max_per_owner)),
            reader.retry(timers, "timers", RetryPolicy()),
            reader.messages(reader.section(document, "messages")),
            reader.duration(reader.section(document, "retention"), "retention",
                            "archive_after", timedelta(days=365)),
            allow_loopback=allow_loopback, allow_private=allow_private)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> IntegrationSettingsInvalid:
        return IntegrationSettingsInvalid(f"{self.source}: {where}: {message}")

    def section(self, document: dict, name: str) -> dict:
        section = document.get(name, {})
        if not isinstance(section, dict):
            raise self.fail(name, "expected an object")
        return section

    def whole(self, section: dict, where: str, key: str, default: int) -> int:
        value = section.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(f"{where}.{key}", f"{value!r} is not a whole number >= 1")
        return value

    def duration(self, section: dict, where: str, key: str, default: timedelta) -> timedelta:
        if key not in section:
            return default
        try:
            value = parse_duration(str(section[key]))
        except (ValueError, ArithmeticError):
            value = timedelta(0)
        if value <= timedelta(0):
            raise self.fail(f"{where}.{key}", f"{section[key]!r} is not an ISO 8601 duration "
                                              "such as PT30S")
        return value

    def retry(self, section: dict, where: str, default: RetryPolicy) -> RetryPolicy:
        policy = RetryPolicy(
            max_attempts=self.whole(section, where, "max_attempts", default.max_attempts),
            first_delay=self.duration(section, where, "first_retry", default.first_delay),
            max_delay=self.duration(section, where, "max_retry", default.max_delay))
        if policy.max_delay < policy.first_delay:
            raise self.fail(f"{where}.max_retry", "is shorter than first_retry")
        return policy


    def messages(self, section: dict) -> MessageSettings:
        where = "messages"
        try:
            zone = ZoneInfo(str(section.get("time_zone", "UTC")))
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(f"{where}.time_zone", f"{section.get('time_zone')!r} is not a "
                                                  "time zone") from None
        digest_at: time | None = None
        if section.get("digest_at") is not None:
            try:
                digest_at = time.fromisoformat(str(section["digest_at"]))
            except ValueError:
                raise self.fail(f"{where}.digest_at", f"{section['digest_at']!r} is not a "
                                                      "time of day such as 08:00") from None
        names = section.get("event_names", {})
        if not isinstance(names, dict) or not all(
                isinstance(v, dict) and all(isinstance(t, str) for t in v.values())
                for v in names.values()):
            raise self.fail(f"{where}.event_names", 'expected {"event": {"zh": ..., "en": ...}}')
        management = section.get("management", {})
        if not isinstance(management, dict):
            raise self.fail(f"{where}.management", "expected an object")
        return MessageSettings(names, zone, digest_at, management)


def flag(value: Any) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")
