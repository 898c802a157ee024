"""Whom e-mail and SMS reach: the addresses in data/departments.json (`email`, `sms`:
a string or a list, per department; supervisors are departments too) and management's
in data/integrations.json. Each bad address names the file and the department."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.reference.data_files import DataFileInvalid, read_json
from engine.reference.directory import MANAGEMENT

EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
MOBILE = re.compile(r"1[3-9][0-9]{9}")


class ContactsInvalid(DataFileInvalid):
    """An address in the data files is malformed; the message says where."""


@dataclass(frozen=True)
class Contacts:
    email: dict[str, tuple[str, ...]] = field(default_factory=dict)  # recipient -> addresses
    sms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def addresses(self, channel: str, recipient: str) -> tuple[str, ...]:
        return (self.email if channel == "email" else self.sms).get(recipient, ())

    @classmethod
    def load(cls, departments: Path, management: Mapping[str, Any] | None = None,
             source: str = "integrations.json") -> Contacts:
        document = read_json(departments, ContactsInvalid) if departments.exists() else {}
        email: dict[str, tuple[str, ...]] = {}
        sms: dict[str, tuple[str, ...]] = {}
        entries: list[tuple[str, str, Mapping[str, Any]]] = [
            (f"{departments}: {entry.get('id')}", str(entry.get("id")), entry)
            for entry in document.get("departments", []) if isinstance(entry, dict)]
        entries.append((f"{source}: management", MANAGEMENT, management or {}))
        for where, recipient, entry in entries:
            email[recipient] = _list(entry.get("email"), EMAIL, f"{where}: email",
                                     "an e-mail address")
            sms[recipient] = _list(entry.get("sms"), MOBILE, f"{where}: sms",
                                   "an 11-digit mobile number")
        return cls({k: v for k, v in email.items() if v}, {k: v for k, v in sms.items() if v})


def _list(value: Any, pattern: re.Pattern, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        raise ContactsInvalid(f"{where}: expected {what} or a list of them")
    for item in values:
        if not isinstance(item, str) or not pattern.fullmatch(item):
            raise ContactsInvalid(f"{where}: {item!r} is not {what}")
    return tuple(values)
