"""The liability judgment (企业有责判定) of an upgraded complaint, recorded by a manager:
liable or not, the liable department(s), a coded liable cause (data/settings.json
"upgrades.liable_causes"), whether it caused a major complaint, and when it was judged.
A revision adds a version; every version is on the order's timeline and the KPI counts
the latest, in the month it was judged."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Conflict
from engine.process_engine import ProcessEngine
from engine.reference.settings import Settings
from engine.runtime.step import append_timeline
from engine.workorders.errors import WorkOrderNotFound
from engine.workorders.models import LiabilityJudgment, WorkOrder

JUDGED, REVISED = "liability_judged", "liability_revised"


class Liability:
    engine: ProcessEngine
    settings: Settings

    def judge(self, number: str, actor: str, *, liable: bool, departments: list[str],
              cause: str | None = None, major: bool = False,
              judged_at: datetime | None = None, note: str | None = None) -> int:
        """Record (or revise) the judgment of upgraded order `number`; its version."""
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            order = session.get(WorkOrder, number, with_for_update=True)
            if order is None:
                raise WorkOrderNotFound(number)
            if not order.upgraded:
                raise Conflict(f"work order {number} is not an upgraded complaint; "
                               "escalate it first")
            at = judged_at or now
            self._check_judgment(order, liable, departments, cause, major, at, now)
            version = (session.scalar(select(func.max(LiabilityJudgment.version)).where(
                LiabilityJudgment.number == number)) or 0) + 1
            judgment = LiabilityJudgment(
                number=number, version=version, liable=liable,
                departments=sorted(set(departments)), cause=cause, major=major,
                judged_at=at, note=note, recorded_by=actor, recorded_at=now)
            session.add(judgment)
            append_timeline(session, order.instance_id, JUDGED if version == 1 else REVISED,
                            now, actor=actor, detail=judgment_view(judgment))
        return version

    def judgments(self, number: str) -> list[LiabilityJudgment]:
        with self.engine.reading() as session:
            return judgments_of(session, number)

    def _check_judgment(self, order: WorkOrder, liable: bool, departments: list[str],
               cause: str | None, major: bool, at: datetime, now: datetime) -> None:
        errors = []
        directory = self.engine.directory
        causes = self.settings.outcomes.upgrades
        if liable:
            if not departments:
                errors.append(FieldError("departments", "name the liable department(s)"))
            unknown = [d for d in departments if directory is not None and d not in directory]
            if unknown:
                errors.append(FieldError("departments", f"{', '.join(unknown)}: not a "
                                         "department of data/departments.json"))
            if cause is None or causes.cause(cause) is None:
                errors.append(FieldError("cause", "is one of " + ", ".join(
                    c.code for c in causes.liable_causes) + " (data/settings.json)"))
        else:
            for field, given in (("departments", departments), ("cause", cause),
                                 ("major", major)):
                if given:
                    errors.append(FieldError(field, "only a liable judgment names it"))
        if at > now:
            errors.append(FieldError("judged_at", "is in the future"))
        elif at < order.submitted_at:
            errors.append(FieldError("judged_at", "is before the order was submitted "
                                     f"({order.submitted_at.isoformat()})"))
        if errors:
            raise FormValidationError("liability judgment", errors)


def judgments_of(session: Session, number: str) -> list[LiabilityJudgment]:
    """Every version of the order's judgment, oldest first."""
    return list(session.scalars(select(LiabilityJudgment).where(
        LiabilityJudgment.number == number).order_by(LiabilityJudgment.version)))


def judgment_view(judgment: LiabilityJudgment) -> dict[str, Any]:
    return {"version": judgment.version, "liable": judgment.liable,
            "departments": list(judgment.departments), "cause": judgment.cause,
            "major": judgment.major, "judged_at": judgment.judged_at.isoformat(),
            "note": judgment.note, "recorded_by": judgment.recorded_by}
