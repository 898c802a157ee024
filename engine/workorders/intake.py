"""Intake: a complaint checked against the category tree and the flow's start form,
routed through the routing table, given a readable number and started with that number
as business key; the order, its flow's first step and the hotspot check are one unit of
work."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError, validate_form_data
from engine.process_engine import ProcessEngine
from engine.reference.categories import Categories, Category
from engine.reference.cities import Cities
from engine.reference.settings import Settings
from engine.runtime.serialization import fingerprint_of
from engine.runtime.starting import PreparedStart
from engine.store.models import ProcessInstance
from engine.workorders.errors import NoRoute, ReferenceReused
from engine.workorders.first_contact import RESOLVED_ON_THE_SPOT, resolve_on_the_spot
from engine.workorders.hotspots import check_hotspots
from engine.workorders.models import WorkOrder, WorkOrderCounter
from engine.workorders.repeats import find_repeats, record_repeat
from engine.workorders.routing import route
from engine.workorders.upgrades import UPGRADED, upgrade_order

# What intake records of a submission besides its fields of the work_orders table.
SUBMISSION_FIELDS = ("customer_phone", "category", "content", "channel",
                     "acceptance_department", "customer_tier", "customer_note", "urgency",
                     "key_fields")


@dataclass(frozen=True)
class SubmitResult:
    number: str
    created: bool  # False: an identical earlier submission is returned


class Intake:
    engine: ProcessEngine
    categories: Categories
    settings: Settings
    cities: Cities

    def submit(self, submission: dict[str, Any], submitted_by: str,
               idempotency_key: str | None = None) -> SubmitResult:
        """Record, route and start a complaint. A retry of the same submission (same
        Idempotency-Key or external reference, same content) returns the same order."""
        submission = {k: v for k, v in submission.items() if v is not None}
        fingerprint = fingerprint_of(submission)
        reference = submission.get("external_reference")
        prior = self._prior(submitted_by, idempotency_key, reference, fingerprint)
        if prior is not None:
            return SubmitResult(prior, created=False)
        prepared = self._route_and_check(submission)
        number = self._next_number()
        now = self.engine.clock.now()
        variables = prepared.variables
        try:
            with self.engine.transaction() as session:
                repeats = find_repeats(session, self.settings.outcomes.repeats,
                                       variables["customer_phone"], variables["category"], now)
                prepared = PreparedStart(prepared.key, prepared.version,
                                         {**variables, "repeat_count": repeats.count})
                # The timeline names the department acting: the order is accepted for it.
                started = self.engine.starter.start_prepared_in(
                    session, prepared, number, actor=submitted_by,
                    department=variables["acceptance_department"])
                instance = started.instance or session.get(ProcessInstance,
                                                           started.instance_id)
                order = WorkOrder(
                    number=number, instance_id=started.instance_id, flow=prepared.key,
                    submitted_by=submitted_by, external_reference=reference,
                    idempotency_key=idempotency_key, fingerprint=fingerprint,
                    **_order_columns(variables, now))
                session.add(order)
                session.flush()
                record_repeat(session, order, instance, repeats, self.settings.outcomes.repeats,
                              self.engine.directory, now, submitted_by)
                if variables.get(UPGRADED):
                    upgrade_order(self.engine, self.settings, session, order, instance,
                                  variables["channel"], reference, submitted_by, now)
                if answer := (submission.get(RESOLVED_ON_THE_SPOT) or {}).get("answer"):
                    resolve_on_the_spot(self.engine, session, order, answer, submitted_by, now)
                self._check_hotspots(session, order, instance, variables)
        except IntegrityError:
            # An identical submission won the race; its order is visible now.
            prior = self._prior(submitted_by, idempotency_key, reference, fingerprint)
            if prior is None:
                raise
            return SubmitResult(prior, created=False)
        return SubmitResult(number, created=True)

    def _check_hotspots(self, session: Session, order: WorkOrder, instance, variables) -> None:
        # Last in the transaction: the lock it takes is held only until the commit.
        check_hotspots(session, order, instance, self.settings.hotspots,
                       self.engine.clock.now(),
                       department=variables.get("processing_department")
                       or variables["acceptance_department"])

    def _route_and_check(self, submission: dict[str, Any]) -> PreparedStart:
        """The flow to start and its variables as the start will have them (form
        defaults, service level); FormValidationError lists every invalid field."""
        errors: list[FieldError] = []
        variables = {k: submission[k] for k in SUBMISSION_FIELDS if k in submission}
        variables.setdefault("key_fields", {})
        # An upgrade channel (data/settings.json) makes an upgraded complaint, whose
        # service level the start decision reads.
        variables[UPGRADED] = submission.get("channel") in self.settings.outcomes.upgrades.channels
        city, city_error = self._home_city(submission)
        if city_error is not None:
            errors.append(city_error)
        elif city is not None:
            variables["city"] = city
        category = self.categories.get(submission.get("category", ""))
        found: dict[str, Any] = {}
        prepared: PreparedStart | None = None
        if category is None:
            errors.append(FieldError("category", "is not a category of the tree "
                                                 "(GET /api/v1/categories lists them)"))
        else:
            errors.extend(_prefixed("key_fields", self._key_field_errors(category, variables)))
            try:
                found = route(self.engine.catalog, category.path, context=variables)
            except NoRoute as err:
                errors.append(FieldError("category", f"{err}; tell the process designers"))
        if found:
            variables.update({k: v for k, v in found.items()
                              if k.endswith("_department") and v})
            try:
                prepared = self.engine.starter.check_start(found["flow"], variables)
            except FormValidationError as err:
                errors.extend(err.errors)
        if errors:
            raise FormValidationError("work order", list(dict.fromkeys(errors)))
        assert prepared is not None  # no error: the category routed and the start checked
        return prepared

    def _home_city(self, submission: dict[str, Any]) -> tuple[str | None, FieldError | None]:
        """The city the submission names (one of data/cities.json), or the one the
        number-prefix table gives the customer's number (None if neither)."""
        named = submission.get("city")
        if named is None:
            phone = submission.get("customer_phone")
            return (self.cities.of_number(phone) if isinstance(phone, str) else None), None
        if named not in self.cities:
            return None, FieldError("city", "is not a city of data/cities.json")
        return named, None

    def _key_field_errors(self, category: Category, variables) -> list[FieldError]:
        try:
            validate_form_data("key_fields", self.categories.key_field_schema(category),
                               variables["key_fields"])
        except FormValidationError as err:
            return err.errors
        return []

    def _next_number(self) -> str:
        """WO-<local date>-<sequence of the day>; a failed intake leaves a gap."""
        numbering = self.settings.work_orders
        now = self.engine.clock.now().astimezone(numbering.time_zone)
        day = now.strftime("%Y%m%d")
        for attempt in range(3):
            try:
                with self.engine.transaction() as session:
                    counter = session.get(WorkOrderCounter, day, with_for_update=True)
                    if counter is None:
                        counter = WorkOrderCounter(day=day, last=0)
                        session.add(counter)
                    counter.last += 1
                    sequence = counter.last
                return f"{numbering.number_prefix}-{day}-{sequence:06d}"
            except IntegrityError:  # another process opened the day's counter first
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _prior(self, submitted_by: str, idempotency_key: str | None, reference: str | None,
               fingerprint: str) -> str | None:
        checks = [("Idempotency-Key", WorkOrder.idempotency_key, idempotency_key),
                  ("external_reference", WorkOrder.external_reference, reference)]
        with self.engine.reading() as session:
            for what, column, value in checks:
                if value is None:
                    continue
                order = session.scalar(select(WorkOrder).where(
                    WorkOrder.submitted_by == submitted_by, column == value))
                if order is None:
                    continue
                if order.fingerprint != fingerprint:
                    raise ReferenceReused(f"{what} {value!r}", order.number)
                return order.number
        return None


def _order_columns(variables: dict[str, Any], now) -> dict[str, Any]:
    """The work_orders columns a submission fills in."""
    return {"customer_phone": variables["customer_phone"], "category": variables["category"],
            "channel": variables["channel"], "content": variables["content"],
            "acceptance_department": variables["acceptance_department"],
            "customer_tier": str(variables.get("customer_tier", "")),
            "urgency": str(variables.get("urgency", "")), "submitted_at": now,
            "city": variables.get("city")}


def _prefixed(prefix: str, errors: list[FieldError]) -> list[FieldError]:
    return [FieldError(prefix if e.field == "(form)" else f"{prefix}.{e.field}", e.message)
            for e in errors]
