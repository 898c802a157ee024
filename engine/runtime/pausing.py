"""Stopping a stage's clock (pause) and starting it again (resume).

While a stage is paused its timers (stage limit, department total, any other timer on it)
wait at a moment that never comes and its ladder rungs are set aside; on resume each is
due again, moved on by the time the stage stood still: elapsed time for an elapsed limit,
its department's working time for a working one. The department's total counts the
stage's time net of its pauses. A pause may name when it resumes by itself (a timer row
of kind "resume"). Each runs inside the caller's unit of work (a locked Step).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from sqlalchemy import select

from engine.errors import Conflict
from engine.runtime.deadline import Deadline
from engine.runtime.ladder import RUNG
from engine.runtime.step import Step, iso
from engine.runtime.working_limits import WORKING, CalendarOf
from engine.store.models import HumanTask, StagePause, Timer

RESUME = "resume"  # Timer.kind of a pause's own resume moment
PAUSED = "paused"  # Timer.state of a rung set aside while its stage is paused
# Where a paused timer waits: after any date an order can reach.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)
HOW = ("hand", "time", "message", "completed")


class StageAlreadyPaused(Conflict):
    def __init__(self, stage: str, since: datetime) -> None:
        super().__init__(f"stage {stage!r} is paused since {since.isoformat()}")


class StageNotPaused(Conflict):
    def __init__(self, stage: str) -> None:
        super().__init__(f"stage {stage!r} is not paused")


class Pausing:
    def __init__(self, calendar_of: CalendarOf | None) -> None:
        self.calendar_of = calendar_of

    def pause(self, step: Step, human: HumanTask, *, actor: str, reason: str,
              note: str | None = None, resume_at: datetime | None = None) -> StagePause:
        """Stop the clock of the open stage `human`."""
        if human.paused_at is not None:
            raise StageAlreadyPaused(human.stage, human.paused_at)
        step.observe()
        stopped: dict[str, str] = {}
        for timer in step.timers:
            if timer.stage_task is not None and str(timer.stage_task.id) == human.id:
                stopped[str(timer.task.id)] = timer.due_at.isoformat()
                timer.task.internal_data["event_value"] = NEVER.isoformat()
        for row in step.pending_timer_rows():
            if row.id in stopped:
                row.due_at = NEVER
            elif row.kind == RUNG and row.task_id == human.id:
                row.state = PAUSED
        human.paused_at = step.now
        Deadline.stop(step)  # the instance's own deadline stands still with it
        pause = StagePause(instance_id=step.instance.id, task_id=human.id, stage=human.stage,
                           department=human.department, reason=reason, note=note,
                           paused_at=step.now, paused_by=actor, resume_at=resume_at,
                           stopped=stopped)
        step.session.add(pause)
        if resume_at is not None:
            step.add_timer_row(Timer(
                id=str(uuid4()), instance_id=step.instance.id, kind=RESUME,
                element_id=RESUME, task_id=human.id, stage=human.stage, lane=human.lane,
                department=human.department, due_at=resume_at, state="pending"))
        step.record("paused", actor=actor, stage=human.stage, department=human.department,
                    detail={"reason": reason, "note": note, "resume_at": iso(resume_at)})
        step.publish("paused", stage=human.stage, department=human.department,
                     reason=reason, resume_at=iso(resume_at))
        step.observe()  # the timers now wait for NEVER
        return pause

    def resume(self, step: Step, human: HumanTask, *, actor: str, how: str,
               note: str | None = None) -> StagePause:
        """Start the stage's clock again, every due time moved on by the pause."""
        if human.paused_at is None:
            raise StageNotPaused(human.stage)
        pause = self.open_pause(step, human)
        step.observe()  # the workflow's timers as they wait now
        elapsed = step.now - human.paused_at
        working = self._working(human.department, human.paused_at, step.now)
        rows = {row.id: row for row in step.pending_timer_rows()}
        timer_tasks = {str(timer.task.id): timer for timer in step.timers}
        for timer_id, due_text in pause.stopped.items():
            row = rows.get(timer_id)
            clock = _clock_of_kind(human, row.kind if row is not None else "other")
            due = self._moved(human, datetime.fromisoformat(due_text), clock, elapsed, working)
            if (timer := timer_tasks.get(timer_id)) is not None:
                timer.task.internal_data["event_value"] = due.isoformat()
            if row is not None:
                row.due_at = due
                if row.kind == "stage":
                    human.due_at = due
        for row in step.session.scalars(select(Timer).where(
                Timer.instance_id == step.instance.id, Timer.task_id == human.id,
                Timer.state == PAUSED)):
            clock = _clock_of_kind(human, (row.detail or {}).get("limit_kind", "stage"))
            row.due_at = self._moved(human, row.due_at, clock, elapsed, working)
            row.state = "pending"
            step.add_timer_row(row)
        for row in rows.values():
            if row.kind == RESUME and row.task_id == human.id:
                row.state = "fired" if how == "time" else "cancelled"
                row.fired_at = step.now if how == "time" else None
                row.lease_owner = row.lease_expires_at = None
        human.paused_at = None
        if not any(row.paused_at is not None for row in step.open_task_rows().values()
                   if row.state == "open"):
            Deadline.restart(step)  # no other stage still holds it
        human.paused_seconds += elapsed.total_seconds()
        human.paused_working_seconds += working.total_seconds()
        pause.resumed_at, pause.resumed_by, pause.resumed_how = step.now, actor, how
        pause.paused_seconds = elapsed.total_seconds()
        pause.paused_working_seconds = working.total_seconds()
        step.record("resumed", actor=actor, stage=human.stage, department=human.department,
                    detail={"how": how, "note": note, "reason": pause.reason,
                            "paused_seconds": pause.paused_seconds,
                            "paused_working_seconds": pause.paused_working_seconds})
        step.publish("resumed", stage=human.stage, department=human.department, how=how,
                     reason=pause.reason, paused_seconds=pause.paused_seconds,
                     paused_working_seconds=pause.paused_working_seconds)
        step.observe()
        return pause

    def resume_due(self, step: Step, actor: str | None) -> None:
        """Resume the stages whose pause named a moment that has passed."""
        for row in [row for row in step.pending_timer_rows() if row.kind == RESUME]:
            if row.due_at < step.now:
                human = step.open_task_rows().get(row.task_id or "")
                if human is None or human.paused_at is None:
                    row.state = "cancelled"
                    continue
                self.resume(step, human, actor=actor or "system", how="time")

    def open_pause(self, step: Step, human: HumanTask) -> StagePause:
        pause = step.session.scalars(select(StagePause).where(
            StagePause.task_id == human.id, StagePause.resumed_at.is_(None))
            .order_by(StagePause.id.desc()).limit(1)).first()
        if pause is None:  # paused_at is set only together with a pause row
            raise StageNotPaused(human.stage)
        return pause

    def _working(self, department: str, start: datetime, end: datetime) -> timedelta:
        if self.calendar_of is None:
            return end - start
        return self.calendar_of(department).working_between(start, end)

    def _moved(self, human: HumanTask, due: datetime, clock: str | None, elapsed: timedelta,
               working: timedelta) -> datetime:
        if clock == WORKING and self.calendar_of is not None:
            return self.calendar_of(human.department).add_time(due, working)
        return due + elapsed


def _clock_of_kind(human: HumanTask, kind: str) -> str | None:
    return {"stage": human.stage_clock, "department": human.department_clock}.get(kind)

