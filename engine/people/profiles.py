"""Customer profiles (特殊客户 CRM): per customer number, a tier, handling guidance and
sensitivity markers kept across orders, with the history of every change. Tiers and
markers are data/people.json's; the number's format is the submit form's."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import NotFound
from engine.people.models import CustomerProfile, CustomerProfileChange
from engine.process_engine import ProcessEngine

FIELDS = ("tier", "guidance", "markers")
MAX_GUIDANCE = 4000


class ProfileNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("no profile for this customer number")


class Profiles:
    def __init__(self, engine: ProcessEngine, tiers: tuple[str, ...],
                 markers: tuple[str, ...], phone_pattern: str) -> None:
        self.engine = engine
        self.tiers = tiers
        self.markers = markers
        self.phone = re.compile(phone_pattern)

    def get(self, phone: str) -> CustomerProfile | None:
        if not self.phone.fullmatch(phone):
            return None
        with self.engine.reading() as session:
            return session.get(CustomerProfile, phone)

    def history(self, phone: str) -> list[CustomerProfileChange]:
        with self.engine.reading() as session:
            return list(session.scalars(select(CustomerProfileChange).where(
                CustomerProfileChange.phone == phone).order_by(CustomerProfileChange.id)))

    def put(self, phone: str, fields: dict[str, Any], actor: str,
            department: str | None) -> CustomerProfile:
        """Create or change the profile of `phone`; fields left out keep their value
        (a new profile: ordinary, no guidance, no markers). Every change is kept."""
        if errors := self._problems(phone, fields):
            raise FormValidationError("profile", errors)
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            profile = session.get(CustomerProfile, phone, with_for_update=True)
            before: dict[str, Any] = {"tier": None, "guidance": None, "markers": []}
            if profile is None:
                profile = CustomerProfile(phone=phone, tier=self.tiers[0], guidance=None,
                                          markers=[], updated_at=now, updated_by=actor,
                                          department=department)
                session.add(profile)
            else:
                before = {name: getattr(profile, name) for name in FIELDS}
            for name in FIELDS:
                if name in fields:
                    setattr(profile, name, sorted(set(fields[name])) if name == "markers"
                            else fields[name])
            after = {name: getattr(profile, name) for name in FIELDS}
            changes = {name: {"before": before[name], "after": after[name]}
                       for name in FIELDS if before[name] != after[name]}
            if changes:
                profile.updated_at, profile.updated_by = now, actor
                profile.department = department
                session.flush()  # the profile row first: the change refers to it
                session.add(CustomerProfileChange(phone=phone, at=now, by=actor,
                                                  department=department, changes=changes))
            return profile

    def _problems(self, phone: str, fields: dict[str, Any]) -> list[FieldError]:
        errors = []
        if not self.phone.fullmatch(phone):
            errors.append(FieldError("phone", "must be an 11-digit mainland China mobile "
                                              "number"))
        if "tier" in fields and fields["tier"] not in self.tiers:
            errors.append(FieldError("tier", f"must be one of {', '.join(self.tiers)}"))
        guidance = fields.get("guidance")
        if guidance is not None and (not isinstance(guidance, str)
                                     or len(guidance) > MAX_GUIDANCE):
            errors.append(FieldError("guidance", f"at most {MAX_GUIDANCE} characters"))
        for index, marker in enumerate(fields.get("markers") or []):
            if marker not in self.markers:
                errors.append(FieldError(f"markers.{index}", f"{marker!r} is not one of "
                                                             f"{', '.join(self.markers)}"))
        return errors


def phone_pattern(submit_form: dict[str, Any] | None, fallback: str = r"^1[0-9]{10}$") -> str:
    """The customer number's pattern as the submit form (forms/submit.json) writes it."""
    try:
        pattern = submit_form["properties"]["customer_phone"]["pattern"]  # type: ignore[index]
    except (KeyError, TypeError):
        return fallback
    return pattern if isinstance(pattern, str) else fallback
