"""The cities (地市) and the number-prefix table (data/cities.json): a customer's home city
(归属地) is the one whose prefix is the longest that the number starts with, unless intake
names it. Designers maintain the table; a missing file means no cities."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.reference.data_files import DataFileInvalid, read_json

CITY_ID = re.compile(r"[a-z][a-z0-9_]{0,49}")
PREFIX = re.compile(r"1[0-9]{2,10}")


class CitiesInvalid(DataFileInvalid):
    """The cities file is malformed; the message says where."""


@dataclass(frozen=True)
class City:
    id: str
    name: str


class Cities:
    def __init__(self, cities: list[City], prefixes: dict[str, str]) -> None:
        self._by_id = {city.id: city for city in cities}
        self._prefixes = prefixes  # number prefix -> city id
        self._lengths = sorted({len(p) for p in prefixes}, reverse=True)

    @classmethod
    def load(cls, path: Path) -> Cities:
        if not path.exists():
            return cls([], {})
        return cls.from_document(read_json(path, CitiesInvalid), str(path))

    @classmethod
    def from_document(cls, document: Any, source: str = "cities") -> Cities:
        entries = document.get("cities") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise CitiesInvalid(f"{source}: expected {{\"cities\": [...]}}")
        cities: list[City] = []
        prefixes: dict[str, str] = {}
        for index, entry in enumerate(entries):
            where = f"{source}: cities[{index}]"
            if not isinstance(entry, dict) or not CITY_ID.fullmatch(str(entry.get("id", ""))):
                raise CitiesInvalid(f"{where}: needs an id of a-z, 0-9 and '_'")
            cities.append(City(entry["id"], str(entry.get("name") or entry["id"])))
            for prefix in entry.get("prefixes") or []:
                if not isinstance(prefix, str) or not PREFIX.fullmatch(prefix):
                    raise CitiesInvalid(f"{where}: prefix {prefix!r} is not 3-11 digits "
                                        "starting with 1")
                if prefix in prefixes:
                    raise CitiesInvalid(f"{where}: prefix {prefix} is also "
                                        f"{prefixes[prefix]}'s")
                prefixes[prefix] = entry["id"]
        if len({city.id for city in cities}) != len(cities):
            raise CitiesInvalid(f"{source}: a city id appears twice")
        return cls(cities, prefixes)

    def __contains__(self, city_id: object) -> bool:
        return city_id in self._by_id

    def __iter__(self):
        return iter(self._by_id.values())

    def get(self, city_id: str) -> City | None:
        return self._by_id.get(city_id)

    def of_number(self, phone: str) -> str | None:
        """The home city of `phone`: the longest prefix of the table it starts with."""
        for length in self._lengths:
            if (city := self._prefixes.get(phone[:length])) is not None:
                return city
        return None
