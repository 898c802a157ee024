"""The rules of people's accounts (data/people.json): session lifetime, lockout,
password length. Each value is checked at load and an error names the file and field."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.reference.data_files import DataFileInvalid, read_json
from engine.runtime.sandbox import parse_duration

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class PeopleSettingsInvalid(DataFileInvalid):
    """data/people.json is malformed; the message says where."""


@dataclass(frozen=True)
class PeopleSettings:
    session_lifetime: timedelta = timedelta(hours=1)
    lockout_failures: int = 5
    lockout_duration: timedelta = timedelta(minutes=15)
    password_min_length: int = 10
    # An open order needs a contact with the customer at least this often (None: no rule).
    contact_every: timedelta | None = None
    attachment_max_bytes: int = 5 * 1024 * 1024
    attachment_types: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg",
                                         "text/plain")
    profile_tiers: tuple[str, ...] = ("ordinary", "vip", "special_care")
    profile_markers: tuple[str, ...] = ()
    demands: tuple[str, ...] = ("refund", "exchange", "apology", "explanation")
    refund_audit_threshold: Decimal | None = None  # None: no refund audit
    audit_before_stages: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> PeopleSettings:
        """The file's settings; all defaults when there is no such file."""
        if not path.exists():
            return cls()
        return cls.from_document(read_json(path, PeopleSettingsInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "people") -> PeopleSettings:
        if not isinstance(document, dict):
            raise PeopleSettingsInvalid(f"{source}: expected a JSON object")
        defaults = cls()
        read = _Reader(source, document)
        return cls(
            session_lifetime=read.duration("sessions", "lifetime", defaults.session_lifetime),
            lockout_failures=read.whole("lockout", "failures", defaults.lockout_failures, 1),
            lockout_duration=read.duration("lockout", "duration", defaults.lockout_duration),
            password_min_length=read.whole("passwords", "min_length",
                                           defaults.password_min_length, 8),
            contact_every=read.optional_duration("contacts", "every"),
            attachment_max_bytes=read.whole("attachments", "max_bytes",
                                            defaults.attachment_max_bytes, 1),
            attachment_types=read.types("attachments", "types", defaults.attachment_types),
            profile_tiers=read.names("customer_profiles", "tiers", defaults.profile_tiers),
            profile_markers=read.names("customer_profiles", "markers",
                                       defaults.profile_markers),
            demands=read.names("remedies", "demands", defaults.demands),
            refund_audit_threshold=read.amount("remedies", "refund_audit_threshold"),
            audit_before_stages=read.stages("remedies", "audit_before_stages"),
        )


class _Reader:
    def __init__(self, source: str, document: dict[str, Any]) -> None:
        self.source = source
        self.document = document

    def _value(self, section: str, key: str) -> Any:
        part = self.document.get(section, {})
        if not isinstance(part, dict):
            raise PeopleSettingsInvalid(f"{self.source}: {section}: expected an object")
        return part.get(key)

    def duration(self, section: str, key: str, default: timedelta) -> timedelta:
        value = self._value(section, key)
        if value is None:
            return default
        try:
            duration = parse_duration(str(value))
        except (ValueError, ArithmeticError):
            duration = timedelta(0)
        if duration <= timedelta(0):
            raise PeopleSettingsInvalid(f"{self.source}: {section}.{key}: {value!r} is not "
                                        "a positive ISO 8601 duration such as PT1H")
        return duration

    def optional_duration(self, section: str, key: str) -> timedelta | None:
        if self._value(section, key) is None:
            return None
        return self.duration(section, key, timedelta(0))

    def types(self, section: str, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        from engine.people.sniffing import KNOWN_TYPES

        value = self._value(section, key)
        if value is None:
            return default
        if not isinstance(value, list) or not value or any(
                item not in KNOWN_TYPES for item in value):
            raise PeopleSettingsInvalid(f"{self.source}: {section}.{key}: expected a list of "
                                        f"types among {', '.join(KNOWN_TYPES)}")
        return tuple(value)

    def names(self, section: str, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self._value(section, key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(
                isinstance(item, str) and _NAME.fullmatch(item) for item in value) \
                or len(set(value)) != len(value):
            raise PeopleSettingsInvalid(f"{self.source}: {section}.{key}: expected a list "
                                        "of distinct names of a-z, 0-9 and '_'")
        return tuple(value)

    def amount(self, section: str, key: str) -> Decimal | None:
        value = self._value(section, key)
        if value is None:
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal(-1)
        if isinstance(value, bool) or not amount.is_finite() or amount < 0:
            raise PeopleSettingsInvalid(f"{self.source}: {section}.{key}: {value!r} is not "
                                        "an amount >= 0")
        return amount

    def stages(self, section: str, key: str) -> tuple[str, ...]:
        value = self._value(section, key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
                isinstance(item, str) and 0 < len(item) <= 200 for item in value):
            raise PeopleSettingsInvalid(f"{self.source}: {section}.{key}: expected a list "
                                        "of stage (user task) ids")
        return tuple(value)

    def whole(self, section: str, key: str, default: int, least: int) -> int:
        value = self._value(section, key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise PeopleSettingsInvalid(f"{self.source}: {section}.{key}: {value!r} is not "
                                        f"a whole number >= {least}")
        return value
