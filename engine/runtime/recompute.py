"""After a calendar changes (a holiday announced, hours changed): the open stages whose
limits count working time get their due times worked out again on the calendars now
loaded, from the moment each stage opened (plus the working time it stood paused), and
their pending ladder rungs with them (a stage paused now: the due times its pause keeps,
which its resume moves on). Completed stages keep the limit and due time that
applied. Each change is on the instance's timeline ("due_recomputed") and in the report
returned, per instance."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.clock import Clock
from engine.runtime.ladder import RUNG
from engine.runtime.ladder_table import Rung
from engine.runtime.pausing import PAUSED
from engine.runtime.pipeline import Pipeline
from engine.runtime.step import Step, iso
from engine.runtime.working_limits import WORKING, working_due, working_seconds_used
from engine.store.models import HumanTask, ProcessInstance, Timer
from engine.store.unit_of_work import UnitsOfWork

RECOMPUTED = "due_recomputed"


@dataclass(frozen=True)
class DueChange:
    business_key: str
    instance_id: str
    stage: str
    department: str
    what: str  # stage | department | a rung's name
    was: datetime
    now: datetime


class Recomputer:
    def __init__(self, uow: UnitsOfWork, pipeline: Pipeline, clock: Clock) -> None:
        self.uow = uow
        self.pipeline = pipeline
        self.clock = clock

    def recompute_all(self) -> list[DueChange]:
        """Every running instance with an open stage counting working time; each in its
        own unit of work."""
        if self.pipeline.calendar_of is None:
            return []
        with self.uow.reading() as session:
            ids = session.scalars(select(HumanTask.instance_id).distinct().join(
                ProcessInstance, ProcessInstance.id == HumanTask.instance_id).where(
                HumanTask.state == "open", ProcessInstance.status == "running",
                (HumanTask.stage_clock == WORKING) | (HumanTask.department_clock == WORKING)
            ).order_by(HumanTask.instance_id)).all()
        changes: list[DueChange] = []
        for instance_id in ids:
            with self.uow.transaction() as session:
                step = self.pipeline.load(session, instance_id, self.clock.now())
                self.pipeline.advance(step)
                changes.extend(self._recompute(step))
                self.pipeline.advance(step)
                self.pipeline.save(step)
        return changes

    def _recompute(self, step: Step) -> list[DueChange]:
        changes = []
        timers = {(str(t.stage_task.id), t.kind): t for t in step.timers if t.stage_task}
        rows = {row.id: row for row in step.pending_timer_rows()}
        for human in list(step.open_task_rows().values()):
            if human.state != "open":
                continue
            for what, was, due in self._stage_dues(step, human, timers, rows):
                changes.append(DueChange(step.instance.business_key, step.instance.id,
                                         human.stage, human.department, what, was, due))
                step.record(RECOMPUTED, stage=human.stage, department=human.department,
                            detail={"limit": what, "was": iso(was), "due_at": iso(due)})
        step.observe()
        return changes

    def _stage_dues(self, step: Step, human: HumanTask, timers: dict,
                    rows: dict) -> Iterator[tuple[str, datetime, datetime]]:
        assert self.pipeline.calendar_of is not None
        calendar = self.pipeline.calendar_of(human.department)
        paused = timedelta(seconds=human.paused_working_seconds)
        # A paused stage keeps its stopped due times in its pause: those are moved.
        pause = self.pipeline.pausing.open_pause(step, human) if human.paused_at else None
        limits = {"stage": (human.stage_limit, human.stage_clock),
                  "department": (human.department_limit, human.department_clock)}
        for kind, (limit, clock) in limits.items():
            timer = timers.get((human.id, kind))
            if clock != WORKING or limit is None or timer is None:
                continue
            used = timedelta(seconds=working_seconds_used(step.workflow, human.lane,
                                                          human.department)
                             if kind == "department" else 0)
            due = calendar.add_time(working_due(calendar, human.created_at, limit, 1, used),
                                    paused)
            timer_id = str(timer.task.id)
            if pause is not None and timer_id not in pause.stopped:
                continue
            was = (datetime.fromisoformat(pause.stopped[timer_id]) if pause is not None
                   else timer.due_at)
            if due == was:
                continue
            if pause is not None:
                pause.stopped = {**pause.stopped, timer_id: due.isoformat()}
            else:
                timer.task.internal_data["event_value"] = due.isoformat()
                if (row := rows.get(timer_id)) is not None:
                    row.due_at = due
            if kind == "stage":
                human.due_at = due
            yield kind, was, due
        rungs: Iterable[Timer] = rows.values()
        if pause is not None:  # its rungs are set aside while it is paused
            rungs = step.session.scalars(select(Timer).where(
                Timer.instance_id == step.instance.id, Timer.task_id == human.id,
                Timer.state == PAUSED))
        for row in rungs:
            rung_kind = str((row.detail or {}).get("limit_kind"))
            rung_limit, rung_clock = limits.get(rung_kind, (None, None))
            if row.kind != RUNG or row.task_id != human.id or rung_clock != WORKING \
                    or rung_limit is None:
                continue
            moment = self.pipeline.ladder.moments(step, human, rung_kind, rung_limit)(
                Rung(float((row.detail or {})["percent"]), row.element_id, ()))
            if moment is not None and (moved := calendar.add_time(moment, paused)) != row.due_at:
                earlier, row.due_at = row.due_at, moved
                yield row.element_id, earlier, moved
