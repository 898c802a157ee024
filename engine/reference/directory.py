"""The department directory (data/departments.json): which departments exist and who
supervises each. Departments named anywhere in an order must be in it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.reference.data_files import DataFileInvalid, read_json

# Notifications meant for managers go to this recipient (manager tokens read them).
MANAGEMENT = "management"
DEPARTMENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class DirectoryInvalid(DataFileInvalid):
    """The directory file is malformed; the message says where."""


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    roles: tuple[str, ...]
    supervisor: str | None
    # Its own assessment figures, where they differ from data/settings.json's.
    deduction_value: Decimal | None = None
    ceiling: int | None = None
    calendar: str | None = None  # its working calendar (data/calendars.json); None: default
    city: str | None = None  # the city it serves (地市), for the two-way assessment


class Directory:
    def __init__(self, departments: list[Department]) -> None:
        self._by_id = {d.id: d for d in departments}

    @classmethod
    def load(cls, path: Path) -> Directory:
        return cls.from_document(read_json(path, DirectoryInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "departments") -> Directory:
        entries = document.get("departments") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise DirectoryInvalid(f"{source}: expected {{\"departments\": [...]}}")
        departments = []
        for index, entry in enumerate(entries):
            where = f"{source}: departments[{index}]"
            if not isinstance(entry, dict) or not DEPARTMENT_ID.fullmatch(str(entry.get("id", ""))):
                raise DirectoryInvalid(f"{where}: needs an id of letters, digits, '_', '.', '-'")
            supervisor = entry.get("supervisor")
            value, ceiling = _assessment(entry.get("assessment") or {}, where)
            calendar = entry.get("calendar")
            if calendar is not None and not isinstance(calendar, str):
                raise DirectoryInvalid(f"{where}: calendar must be a calendar id")
            city = entry.get("city")
            if city is not None and (not isinstance(city, str) or not 0 < len(city) <= 50):
                raise DirectoryInvalid(f"{where}: city must be a name of 1-50 characters")
            departments.append(Department(entry["id"], str(entry.get("name") or entry["id"]),
                                          tuple(entry.get("roles") or ()), supervisor,
                                          value, ceiling, calendar=calendar, city=city))
        directory = cls(departments)
        if len(directory._by_id) != len(departments):
            raise DirectoryInvalid(f"{source}: a department id appears twice")
        for department in departments:
            if department.supervisor is not None and department.supervisor not in directory:
                raise DirectoryInvalid(f"{source}: {department.id}'s supervisor "
                                       f"{department.supervisor!r} is not a department")
        return directory

    def __contains__(self, department_id: object) -> bool:
        return department_id in self._by_id

    def __iter__(self):
        return iter(self._by_id.values())

    def get(self, department_id: str) -> Department | None:
        return self._by_id.get(department_id)

    def supervisor_of(self, department_id: str) -> str:
        """Who is told when `department_id` breaches a limit: its supervising unit, or
        management when it has none (or is not in the directory)."""
        department = self._by_id.get(department_id)
        return department.supervisor if department and department.supervisor else MANAGEMENT


def _assessment(section: Any, where: str) -> tuple[Decimal | None, int | None]:
    """A department's own deduction value and ceiling, if it names them."""
    if not isinstance(section, dict):
        raise DirectoryInvalid(f"{where}: assessment must be an object")
    value = section.get("deduction_value")
    ceiling = section.get("ceiling")
    try:
        value = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        value = Decimal("NaN")
    if value is not None and (isinstance(section["deduction_value"], bool)
                              or not value.is_finite() or value < 0):
        raise DirectoryInvalid(f"{where}: assessment.deduction_value must be a number >= 0")
    if ceiling is not None and (isinstance(ceiling, bool) or not isinstance(ceiling, int)
                                or ceiling < 0):
        raise DirectoryInvalid(f"{where}: assessment.ceiling must be a whole number >= 0")
    return value, ceiling
