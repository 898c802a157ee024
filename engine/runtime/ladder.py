"""The escalation ladder at work on one instance: when a stage opens, each rung (see
escalation.py) becomes a timer row of its own; it fires once, strictly after its moment,
only if the stage is still open, and tells its recipients; the rest are cancelled when
the stage closes."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.versions import SpecCache
from engine.reference.directory import Directory
from engine.runtime.holding import Holding
from engine.runtime.ladder_table import (
    LADDER_KEY,
    LADDER_KINDS,
    Rung,
    rung_due,
    rungs_of,
    working_rung_due,
)
from engine.runtime.limits import LIMIT_KINDS
from engine.runtime.notifications import Audience, lane_departments, notify, recipients
from engine.runtime.sandbox import department_seconds_used, parse_duration
from engine.runtime.step import Step, iso
from engine.runtime.working_limits import (
    WORKING,
    CalendarOf,
    working_seconds_used,
    working_span,
)
from engine.store.models import DecisionDefinition, HumanTask, Timer

log = logging.getLogger(__name__)
RUNG = "rung"  # Timer.kind of the ladder's rows
# How long a ladder deployed by another process may take to apply here: the newest
# version is not looked up on every step.
NEWEST_LADDER_SECONDS = 5.0


class Ladder:
    """Keeps each instance's rung rows in step with its open stages."""

    def __init__(self, specs: SpecCache, directory: Directory | None,
                 calendar_of: CalendarOf | None = None,
                 holding: Holding | None = None) -> None:
        self.specs = specs
        self.directory = directory
        self.calendar_of = calendar_of
        self.holding = holding or Holding(None, None)
        self._cache: dict[int, dict[str, list[Rung]]] = {}  # by decision version id
        self._newest: tuple[int | None, int, float] | None = None  # id, deploys, when

    def sync(self, step: Step, pending: list[Timer]) -> None:
        """Schedule the ladder's rungs for stages opened in this step, cancel the
        `pending` ones of stages that closed, and fire those due on stages still open."""
        open_ids = {str(stage.task.id) for stage in step.stages}
        for row in pending:
            if row.task_id not in open_ids:
                row.state, row.lease_owner, row.lease_expires_at = "cancelled", None, None
            elif row.due_at < step.now:
                self._fire(step, row)
        opened, step.opened = step.opened, []
        if opened:
            self._schedule(step, [row for row in opened if row.id in open_ids])

    def _schedule(self, step: Step, opened: list[HumanTask]) -> None:
        ladder = self.rungs(step.session)
        if not ladder:
            return
        for human in opened:
            for kind in LIMIT_KINDS:
                # Both limits were worked out when the stage's row was written.
                limit = human.stage_limit if kind == "stage" else human.department_limit
                if limit is None:
                    continue
                moments = self.moments(step, human, kind, limit)
                for rung in ladder.get(kind, []):
                    due = moments(rung)
                    if due is not None:
                        step.add_timer_row(_rung_timer(step.instance.id, human, kind, limit,
                                                     rung, due))

    def moments(self, step: Step, human: HumanTask, kind: str,
                 limit: str) -> Callable[[Rung], datetime | None]:
        """When each rung of a `kind` limit falls for the stage `human`: a share of the
        limit in elapsed time, or in its department's working time for a working limit."""
        working = (human.stage_clock if kind == "stage" else human.department_clock) == WORKING
        if working and self.calendar_of is not None:
            calendar = self.calendar_of(human.department)
            span = working_span(calendar, human.created_at, limit)
            used = timedelta(seconds=working_seconds_used(step.workflow, human.lane,
                                                          human.department)
                             if kind == "department" else 0)
            return lambda rung: working_rung_due(rung, calendar, human.created_at, span, used)
        used = timedelta(0)
        if kind == "department":
            used = timedelta(seconds=department_seconds_used(
                step.workflow, human.lane, human.department))
        return lambda rung: rung_due(rung, human.created_at, parse_duration(limit), used)

    def _fire(self, step: Step, row: Timer) -> None:
        human = None
        if row.task_id is not None:  # a rung row always names its stage's task
            human = (step.open_task_rows().get(row.task_id)
                     or step.session.get(HumanTask, row.task_id))
        department = human.department if human is not None else row.department
        stage_name = human.stage_name if human is not None else row.stage
        detail = {"rung": row.element_id, **(row.detail or {}), "limit": row.applied_limit,
                  "due_at": iso(row.due_at), "stage_name": stage_name}
        lanes = lane_departments(step.parsed.lanes, step.instance.variables)
        audience = Audience(department, lanes, tuple(step.holders))
        told = recipients(detail.pop("notify", []), audience, self.directory)
        detail["notified"] = told
        step.record("escalated", actor=step.timer_actor, stage=row.stage,
                    department=department, detail=detail)
        step.publish("escalated", stage=row.stage, department=department, **detail)
        share = f"{detail.get('percent', 100):g}% of its {detail.get('limit_kind', 'stage')} limit"
        hold = self.holding.for_event(row.element_id, step.instance.variables, step.now)
        notify(step.session, step.instance, told, event=row.element_id, now=step.now,
               stage=row.stage, department=department, detail=detail, hold=hold,
               message=(f"Order {step.instance.business_key}: {stage_name} at {department} "
                        f"has passed {share} ({row.applied_limit}): {row.element_id}"))
        row.state, row.fired_at = "fired", step.now
        row.department, row.lease_owner, row.lease_expires_at = department, None, None
        step.timers_fired += 1

    def rungs(self, session: Session) -> dict[str, list[Rung]]:
        """The newest escalation ladder's rungs by limit kind (none if none deployed)."""
        newest = self._newest_version(session)
        if newest is None:
            return {}
        ladder = self._cache.get(newest)
        if ladder is None:
            definition = session.get(DecisionDefinition, newest)
            try:
                if definition is None:  # the id was just read: only a deleted row
                    raise LookupError(f"decision definition {newest} is gone")
                parsed = self.specs.decision(definition)
                ladder = {kind: rungs_of(parsed, kind) for kind in LADDER_KINDS}
            except Exception:  # deploy checks the ladder; a bad one must not stop orders
                log.exception("escalation ladder (decision definition %s) is unusable",
                              newest)
                ladder = {}
            self._cache[newest] = ladder
        return ladder


    def _newest_version(self, session: Session) -> int | None:
        """The newest ladder's row id. Looked up again after a deploy in this process at
        once, and every NEWEST_LADDER_SECONDS for a deploy in another process."""
        known = self._newest
        moment = time.monotonic()
        if (known is not None and known[1] == self.specs.deployments
                and moment - known[2] < NEWEST_LADDER_SECONDS):
            return known[0]
        newest = session.scalar(
            select(DecisionDefinition.id).where(DecisionDefinition.key == LADDER_KEY)
            .order_by(DecisionDefinition.version.desc()).limit(1))
        self._newest = (newest, self.specs.deployments, moment)
        return newest


def _rung_timer(instance_id: str, human: HumanTask, kind: str, limit: str, rung: Rung,
                due: datetime) -> Timer:
    return Timer(
        id=str(uuid4()), instance_id=instance_id, kind=RUNG, element_id=rung.name,
        task_id=human.id, stage=human.stage, lane=human.lane, department=human.department,
        due_at=due, applied_limit=limit, state="pending",
        detail={"percent": rung.percent, "limit_kind": kind, "notify": list(rung.notify)})
