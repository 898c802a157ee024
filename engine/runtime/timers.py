"""Firing due timers: claim a batch with a lease (so a crashed worker's batch is
retried once the lease runs out), then fire each instance's in its own unit of work."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from engine.clock import Clock
from engine.errors import Conflict
from engine.runtime.incidents import RetryPolicy, record_timer_failure
from engine.runtime.pipeline import Pipeline
from engine.store.models import Timer
from engine.store.queries import due_timers
from engine.store.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)


class TimerFiring:
    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline, clock: Clock,
                 retry: RetryPolicy | None = None) -> None:
        self.uow = uow
        self.pipeline = pipeline
        self.clock = clock
        self.retry = retry or RetryPolicy()

    def fire_due_timers(
        self, worker_id: str, batch_size: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> int:
        """Claim due timers (leased, so a crashed worker's batch is retried) and fire them.

        Returns the number of timers that fired.
        """
        now = self.clock.now()
        instance_ids = self._claim_due_timers(worker_id, now, batch_size, lease)
        fired = 0
        for instance_id in instance_ids:
            try:
                with self.uow.transaction() as session:
                    step = self.pipeline.load(session, instance_id, now)
                    step.timer_actor = worker_id
                    self.pipeline.advance(step)
                    self.pipeline.save(step)
                    fired += step.timers_fired
            except Conflict as err:
                # The order was busy (someone else's step won the lock): not a failure
                # of the timer; the lease runs out and it is tried again.
                log.info("timers of instance %s wait: %s", instance_id, err)
            except Exception as err:
                log.exception("firing timers of instance %s failed", instance_id)
                self._count_failure(instance_id, worker_id, now, err)
        return fired

    def _count_failure(self, instance_id: str, worker_id: str, now: datetime,
                       error: Exception) -> None:
        """Count the failed attempt and put the next one off; after the last, an
        incident. Should even that fail, the lease runs out and the timers come back."""
        try:
            with self.uow.transaction() as session:
                suspended = record_timer_failure(session, instance_id, worker_id, now,
                                                 error, self.retry)
            if suspended:
                log.error("timers of instance %s failed %d times: incident opened",
                          instance_id, self.retry.max_attempts)
        except Exception:
            log.exception("could not record the failure of instance %s", instance_id)

    def _claim_due_timers(
        self, worker_id: str, now: datetime, batch_size: int, lease: timedelta
    ) -> list[str]:
        with self.uow.transaction() as session:
            rows = session.scalars(due_timers(now, batch_size)).all()
            for row in rows:
                row.lease_owner, row.lease_expires_at = worker_id, now + lease
            return list(dict.fromkeys(row.instance_id for row in rows))

    def release_leases(self, *, owner_prefix: str, owner_suffix: str) -> int:
        """Give back the leases of pending timers whose owner's name starts with
        `owner_prefix` and ends with `owner_suffix` (a worker that is known to be gone),
        so they are due again at once instead of when the lease runs out. Returns how
        many were released."""
        with self.uow.transaction() as session:
            result = session.execute(
                update(Timer)
                .where(Timer.state == "pending", Timer.lease_owner.is_not(None),
                       Timer.lease_owner.startswith(owner_prefix, autoescape=True),
                       Timer.lease_owner.endswith(owner_suffix, autoescape=True))
                .values(lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False))
            return result.rowcount  # type: ignore[attr-defined]

    def next_timer_due(self) -> datetime | None:
        """When the earliest pending timer is due, or None if none is pending."""
        with self.uow.reading() as session:
            return session.scalar(
                select(Timer.due_at).where(Timer.state == "pending",
                                           Timer.suspended.is_(False))
                .order_by(Timer.due_at).limit(1)
            )
