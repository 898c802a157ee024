"""Failures a worker keeps meeting: each attempt is counted with its error and the next
attempt is put off (exponential backoff with jitter); after `max_attempts` in a row the
work becomes an incident, which nothing retries on its own until an operator says
`retry` (or `resolve`: acknowledged, left as it is).

Timers are this module's own kind; other packages register theirs (a webhook delivery,
an e-mail) with `Incidents.register`.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import Conflict, NotFound
from engine.store.models import Incident, ProcessInstance, Timer
from engine.store.queries import Page
from engine.store.unit_of_work import UnitsOfWork

TIMER = "timer"
ERROR_LENGTH = 500  # longest error text kept


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed piece of work is tried again."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The wait after the `attempts`-th failure: first_delay doubled per failure,
        at most max_delay, then scaled by a random factor in [0.5, 1] so that the
        failures of one outage do not all come back at the same moment."""
        exponent = min(max(attempts - 1, 0), 30)
        base = min(self.first_delay * (2 ** exponent), self.max_delay)
        return base * (rng or random).uniform(0.5, 1.0)

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


def short_error(error: BaseException | str) -> str:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text[:ERROR_LENGTH]


def open_incident(session: Session, *, kind: str, subject_id: str, instance_id: str | None,
                  business_key: str | None, attempts: int, error: str,
                  now: datetime) -> Incident:
    incident = Incident(kind=kind, subject_id=subject_id, instance_id=instance_id,
                        business_key=business_key, attempts=attempts, last_error=error,
                        state="open", created_at=now)
    session.add(incident)
    return incident


def record_timer_failure(session: Session, instance_id: str, worker_id: str, now: datetime,
                         error: BaseException, policy: RetryPolicy) -> list[Timer]:
    """Count a failed firing on the instance's due timers this worker had leased: put
    each off by the policy's delay (its lease now runs until then) or, past the last
    attempt, suspend it under an incident. Returns the timers suspended."""
    rows = session.scalars(select(Timer).where(
        Timer.instance_id == instance_id, Timer.state == "pending", Timer.due_at < now,
        Timer.lease_owner == worker_id, Timer.suspended.is_(False)).with_for_update()).all()
    business_key = session.scalar(select(ProcessInstance.business_key)
                                  .where(ProcessInstance.id == instance_id))
    message = short_error(error)
    suspended = []
    for row in rows:
        row.attempts = (row.attempts or 0) + 1
        row.last_error = message
        if policy.gives_up(row.attempts):
            row.suspended, row.lease_owner, row.lease_expires_at = True, None, None
            open_incident(session, kind=TIMER, subject_id=row.id, instance_id=instance_id,
                          business_key=business_key, attempts=row.attempts, error=message,
                          now=now)
            suspended.append(row)
        else:  # the lease keeps other workers off it until the next attempt
            row.lease_expires_at = now + policy.delay(row.attempts)
    return suspended


RetryHandler = Callable[[Session, Incident, datetime], None]


class Incidents:
    """Lists incidents and lets an operator retry or resolve one."""

    def __init__(self, uow: UnitsOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock
        self._retry: dict[str, RetryHandler] = {TIMER: _retry_timer}

    def register(self, kind: str, retry: RetryHandler) -> None:
        """How to put an incident of `kind` back in the queue."""
        self._retry[kind] = retry

    def search(self, state: str | None, kind: str | None, page: int,
               per_page: int) -> Page:
        query = select(Incident)
        if state is not None:
            query = query.where(Incident.state == state)
        if kind is not None:
            query = query.where(Incident.kind == kind)
        with self.uow.reading() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            items = session.scalars(query.order_by(Incident.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)).all()
        return Page(list(items), total, page, per_page)

    def get(self, incident_id: int) -> Incident:
        with self.uow.reading() as session:
            incident = session.get(Incident, incident_id) if 0 < incident_id < 2**31 else None
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        return incident

    def retry(self, incident_id: int, by: str) -> Incident:
        """Put the failed work back in the queue, with a fresh count of attempts."""
        return self._close(incident_id, by, "retried")

    def resolve(self, incident_id: int, by: str) -> Incident:
        """Acknowledge the incident; the work stays as it is (not retried)."""
        return self._close(incident_id, by, "resolved")

    def _close(self, incident_id: int, by: str, state: str) -> Incident:
        now = self.clock.now()
        with self.uow.transaction() as session:
            incident = (session.get(Incident, incident_id, with_for_update=True)
                        if 0 < incident_id < 2**31 else None)
            if incident is None:
                raise NotFound(f"no incident {incident_id}")
            if incident.state != "open":
                raise Conflict(f"incident {incident_id} is already {incident.state}")
            if state == "retried":
                handler = self._retry.get(incident.kind)
                if handler is None:
                    raise Conflict(f"incidents of kind {incident.kind!r} cannot be retried "
                                   "by this process")
                handler(session, incident, now)
            incident.state, incident.closed_at, incident.closed_by = state, now, by
        return incident

    def open_count(self) -> int:
        with self.uow.reading() as session:
            return session.scalar(select(func.count()).select_from(Incident)
                                  .where(Incident.state == "open")) or 0


def _retry_timer(session: Session, incident: Incident, now: datetime) -> None:
    timer = session.get(Timer, incident.subject_id, with_for_update=True)
    if timer is None or timer.state != "pending":
        return  # it fired or was cancelled since (a step on the order ran it)
    timer.suspended, timer.attempts, timer.last_error = False, 0, None
    timer.lease_owner = timer.lease_expires_at = None
