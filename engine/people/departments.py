"""The department directory as clients read it (GET /api/v1/departments), and the
department fields of a form pointing at it, so a client offers the right choices."""
from __future__ import annotations

import copy
import re
from typing import Any

from engine.reference.directory import Department, Directory
from engine.runtime.sandbox import LANE_SUFFIX

DEPARTMENTS_PATH = "/api/v1/departments"
# data/departments.json writes a name as "English (中文)".
# Half- or full-width brackets (U+FF08, U+FF09).
_BILINGUAL = re.compile(r"^(?P<en>.*?)\s*[(\uff08](?P<zh>[^()\uff08\uff09]*)[)\uff09]\s*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def names(department: Department) -> dict[str, str | None]:
    """The department's name in English and Chinese (None where the file has none)."""
    match = _BILINGUAL.match(department.name)
    if match and _CJK.search(match["zh"]):
        return {"en": match["en"] or None, "zh": match["zh"]}
    if _CJK.search(department.name):
        return {"en": None, "zh": department.name}
    return {"en": department.name, "zh": None}


def department_entry(department: Department, directory: Directory) -> dict[str, Any]:
    return {
        "id": department.id,
        "name": department.name,
        "names": names(department),
        "roles": list(department.roles),
        "supervisor": department.supervisor,
        "supervises": sorted(other.id for other in directory
                             if other.supervisor == department.id),
    }


def entries(directory: Directory, role: str | None = None) -> list[dict[str, Any]]:
    return [department_entry(department, directory) for department in directory
            if role is None or role in department.roles]


def with_department_choices(schema: dict[str, Any] | None, directory: Directory | None
                            ) -> dict[str, Any] | None:
    """A copy of a form's JSON Schema in which every `<lane>_department` field lists the
    departments that work the lane (an enum taken from the directory at every answer,
    so it stays in step with it) and says where they come from (x-choices-from)."""
    if not isinstance(schema, dict) or directory is None:
        return schema
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not any(
            name.endswith(LANE_SUFFIX) for name in properties):
        return schema
    annotated = copy.deepcopy(schema)
    for name, field in annotated["properties"].items():
        if not name.endswith(LANE_SUFFIX) or not isinstance(field, dict):
            continue
        lane = name.removesuffix(LANE_SUFFIX)
        field["enum"] = [d.id for d in directory if not d.roles or lane in d.roles]
        field["x-choices-from"] = f"{DEPARTMENTS_PATH}?role={lane}"
    return annotated
