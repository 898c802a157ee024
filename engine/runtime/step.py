"""One unit of work on one instance: what it has in hand while it runs (the locked
row, the restored workflow, the moment it acts at), and how it writes the timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.context import current_request_id
from engine.definitions.bpmn import ParsedProcess
from engine.runtime.limits import (
    LIMIT_KINDS,
    OpenStage,
    WaitingTimer,
    escalation_code,
    open_stages,
    waiting_timers,
)
from engine.runtime.sandbox import note_thrown
from engine.runtime.serialization import to_json_safe
from engine.store.models import HumanTask, OutboxEvent, ProcessInstance, TimelineEvent, Timer

SYSTEM_ACTOR = "system"
SUMMARY_VALUE_LENGTH = 80  # longest field value a timeline line shows


@dataclass(frozen=True)
class Acting:
    """Who caused a step (a completion, an urge), for the order events it throws."""

    actor: str
    department: str | None
    stage: str | None = None
    reason: str | None = None


@dataclass
class Step:
    """What one unit of work on one instance has in hand."""

    session: Session
    instance: ProcessInstance
    workflow: BpmnWorkflow
    parsed: ParsedProcess
    now: datetime
    escalations: list[Task] = field(default_factory=list)
    timers_fired: int = 0
    timer_actor: str | None = None  # the worker firing timers in this step, if any
    acting: Acting | None = None
    opened: list[HumanTask] = field(default_factory=list)  # stages opened in this step
    # What the workflow shows after its latest run (read once; the tree walk is costly).
    stages: list[OpenStage] = field(default_factory=list)
    timers: list[WaitingTimer] = field(default_factory=list)
    # The instance's open task rows and timer rows, read once per unit of work and kept
    # up to date by whatever adds one (every part of a step reads them).
    timeline: list[dict[str, Any]] = field(default_factory=list)  # written at save
    _open_tasks: dict[str, HumanTask] | None = None
    _timer_rows: list[Timer] | None = None

    def open_task_rows(self, *, lock: bool = False) -> dict[str, HumanTask]:
        """The instance's task rows that were open when read, by id (rows closed in this
        step keep their new state). `lock`: read them locked, and fresh, if not read yet
        (a claim may have landed since the caller last looked)."""
        if self._open_tasks is None:
            query = select(HumanTask).where(HumanTask.instance_id == self.instance.id,
                                            HumanTask.state == "open")
            if lock:
                query = query.with_for_update().execution_options(populate_existing=True)
            self._open_tasks = {row.id: row for row in self.session.scalars(query)}
        return self._open_tasks

    def begin_new_instance(self) -> None:
        """The instance was created in this step: it has no task or timer rows yet, so
        none are looked for."""
        self._open_tasks = {}
        self._timer_rows = []

    def add_task_row(self, row: HumanTask) -> None:
        self.session.add(row)
        self.open_task_rows()[row.id] = row

    def pending_timer_rows(self) -> list[Timer]:
        """The instance's pending timer rows, soonest first."""
        return sorted((row for row in self._timer_row_list() if row.state == "pending"),
                      key=lambda row: (row.due_at, row.id))

    def add_timer_row(self, row: Timer) -> None:
        self.session.add(row)
        self._timer_row_list().append(row)

    def _timer_row_list(self) -> list[Timer]:
        """The timer rows pending when read, plus those added since (states as now)."""
        if self._timer_rows is None:
            self._timer_rows = list(self.session.scalars(select(Timer).where(
                Timer.instance_id == self.instance.id, Timer.state == "pending")))
        return self._timer_rows

    def observe(self) -> None:
        self.stages = open_stages(self.workflow)
        self.timers = waiting_timers(self.workflow)

    @property
    def holders(self) -> list[str]:
        """The departments holding the order's open stages."""
        return sorted({stage.department for stage in self.stages})

    def limit_timers(self) -> dict[tuple[str, str], WaitingTimer]:
        """The waiting stage-limit and department-total timers by (stage id, kind)."""
        return {(str(timer.stage_task.id), timer.kind): timer for timer in self.timers
                if timer.kind in LIMIT_KINDS and timer.stage_task is not None}

    def note_completed(self, task: Task) -> None:
        code = escalation_code(task.task_spec)
        if code is not None:
            # Counted at once: a gateway later in this same run may ask how often.
            note_thrown(self.workflow, code)
            self.escalations.append(task)

    def record(self, event_type: str, *, actor: str | None = None, stage: str | None = None,
               department: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """A timeline entry for this instance, at this step's moment; written, with the
        step's others, in one statement when the step saves (write_timeline)."""
        self.timeline.append(timeline_row(self.instance.id, event_type, self.now, actor=actor,
                                          stage=stage, department=department, detail=detail))

    def write_timeline(self) -> None:
        if self.timeline:
            self.session.execute(insert(TimelineEvent), self.timeline)
            self.timeline = []

    def publish(self, event_type: str, **payload: Any) -> None:
        """An outbox event about this instance, sent once this step commits."""
        instance = self.instance
        self.session.add(OutboxEvent(
            instance_id=instance.id, type=event_type, created_at=self.now,
            payload={"instance_id": instance.id, "business_key": instance.business_key,
                     "process": instance.definition_key, **payload}))


def append_timeline(
    session: Session,
    instance_id: str,
    event_type: str,
    at: datetime,
    *,
    actor: str | None = None,
    stage: str | None = None,
    department: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """A timeline entry outside a step (a claim, an unclaim)."""
    session.add(TimelineEvent(**timeline_row(instance_id, event_type, at, actor=actor,
                                             stage=stage, department=department,
                                             detail=detail)))


def timeline_row(instance_id: str, event_type: str, at: datetime, *, actor: str | None,
                 stage: str | None, department: str | None,
                 detail: dict[str, Any] | None) -> dict[str, Any]:
    return {"instance_id": instance_id, "type": event_type, "stage": stage,
            "department": department, "actor": actor or SYSTEM_ACTOR, "at": at,
            "detail": to_json_safe(detail or {}), "request_id": current_request_id()}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """Field values short enough for a timeline line."""
    short = {}
    for name, value in data.items():
        if isinstance(value, str) and len(value) > SUMMARY_VALUE_LENGTH:
            value = value[: SUMMARY_VALUE_LENGTH - 1] + "…"
        elif not isinstance(value, str | int | float | bool | type(None)):
            value = f"<{type(value).__name__}>"
        short[name] = value
    return short
