"""Pausing a work order's stage (挂起) while its department waits on the customer or a
third party, and resuming it: by hand, at the time given, or when the integrator posts
the customer's reply. The reasons are data (data/pause_reasons.json); the caps per order
(how many pauses, how long in all) come from the order's service level
(processes/service_levels.dmn: max_pauses, max_pause_time)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Conflict
from engine.process_engine import ProcessEngine
from engine.reference.pause_reasons import PauseReasons
from engine.runtime.sandbox import parse_duration
from engine.runtime.step import Step
from engine.store.models import HumanTask, StagePause
from engine.workorders.errors import NoStageFor
from engine.workorders.models import find_order

MAX_PAUSES = "max_pauses"  # order variables set by the service-level table
MAX_PAUSE_TIME = "max_pause_time"
LONGEST_RESUME = timedelta(days=366)


class PauseRefused(Conflict):
    """A pause the order's caps do not allow."""


class Pauses:
    engine: ProcessEngine
    pause_reasons: PauseReasons | None

    def pause(self, number: str, department: str, actor: str, reason: str,
              note: str | None = None, resume_at: datetime | None = None) -> None:
        """Stop the clock of `department`'s open stage on the order."""
        reasons = self.pause_reasons
        if reasons is None or reason not in reasons:
            raise FormValidationError("pause", [FieldError("reason", (
                f"{reason!r} is not a pause reason; one of: "
                f"{', '.join(reasons.codes()) if reasons else '(none configured)'}"))])
        now = self.engine.clock.now()
        if resume_at is not None and not now < resume_at <= now + LONGEST_RESUME:
            raise FormValidationError("pause", [FieldError(
                "resume_at", f"must lie after now ({now.isoformat()}) and within "
                             f"{LONGEST_RESUME.days} days")])
        with self.engine.transaction() as session:
            order = find_order(session, number)
            step = self.engine.commands.lock(session, order.instance_id)
            human = _stage_of(step, number, department, "paused")
            self._check_caps(step, number, resume_at)
            self.engine.pipeline.pausing.pause(step, human, actor=actor, reason=reason,
                                               note=note, resume_at=resume_at)
            self.engine.pipeline.advance(step)
            self.engine.pipeline.save(step)

    def resume(self, number: str, actor: str, department: str | None,
               note: str | None = None) -> int:
        """Start the clock again: `department`'s paused stage (by hand), or, with no
        department (the integrator posting the customer's reply), every paused stage
        of the order. Returns how many stages resumed."""
        with self.engine.transaction() as session:
            order = find_order(session, number)
            step = self.engine.commands.lock(session, order.instance_id)
            paused = [row for row in step.open_task_rows().values()
                      if row.state == "open" and row.paused_at is not None
                      and (department is None or row.department == department)]
            if not paused:
                raise NoStageFor(number, department or "any department", "resumed (none "
                                 "is paused)")
            for human in paused:
                self.engine.pipeline.pausing.resume(
                    step, human, actor=actor, how="hand" if department else "message",
                    note=note)
            self.engine.pipeline.advance(step)
            self.engine.pipeline.save(step)
            return len(paused)

    def _check_caps(self, step: Step, number: str, resume_at: datetime | None) -> None:
        """The order's pauses so far, against its service level's caps."""
        variables = step.instance.variables or {}
        count, total = _pauses_so_far(step.session, step.instance.id, step.now)
        most = variables.get(MAX_PAUSES)
        if isinstance(most, int) and not isinstance(most, bool) and count >= most:
            raise PauseRefused(f"work order {number} was paused {count} times, the most its "
                               f"service level allows ({MAX_PAUSES} = {most})")
        longest_text = variables.get(MAX_PAUSE_TIME)
        if isinstance(longest_text, str):
            longest = parse_duration(longest_text)
            if total >= longest:
                raise PauseRefused(
                    f"work order {number} has been paused {_hours(total)} in all, the "
                    f"longest its service level allows ({MAX_PAUSE_TIME} = {longest_text})")
            if resume_at is not None and total + (resume_at - step.now) > longest:
                raise PauseRefused(
                    f"work order {number}: a pause until {resume_at.isoformat()} would "
                    f"take it past {MAX_PAUSE_TIME} = {longest_text} "
                    f"({_hours(total)} used)")


def _pauses_so_far(session: Session, instance_id: str, now: datetime) -> tuple[int, timedelta]:
    count, finished = session.execute(
        select(func.count(), func.coalesce(func.sum(StagePause.paused_seconds), 0.0))
        .where(StagePause.instance_id == instance_id)).one()
    running = session.scalars(select(StagePause.paused_at).where(
        StagePause.instance_id == instance_id, StagePause.resumed_at.is_(None))).all()
    return count, timedelta(seconds=float(finished or 0)) + sum(
        (now - utc(since) for since in running), timedelta(0))


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:g} h"


def _stage_of(step: Step, number: str, department: str, what: str) -> HumanTask:
    for row in step.open_task_rows(lock=True).values():
        if row.state == "open" and row.department == department:
            return row
    raise NoStageFor(number, department, what)
