"""First-contact resolution (一次解决): a complaint the acceptance department resolved on
the spot (当场解决) is numbered, recorded with the answer given, and closed at once; an
order closed with none of the events that break a first-time resolution (a transfer, a
send-back, an audit rejection, a reopening: data/settings.json) was resolved first
time by the department it reached."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.process_engine import ProcessEngine
from engine.runtime.ending import end_now
from engine.workorders.models import WorkOrder

RESOLVED_ON_THE_SPOT = "resolved_on_the_spot"  # the timeline event and the submission field


def resolve_on_the_spot(engine: ProcessEngine, session: Session, order: WorkOrder,
                        answer: str, actor: str, now: datetime) -> None:
    """Record the answer given and close the just-started order."""
    order.first_contact = True
    step = engine.commands.lock(session, order.instance_id)
    step.record(RESOLVED_ON_THE_SPOT, actor=actor, detail={
        "department": order.acceptance_department, "answer": answer})
    end_now(engine.pipeline, step)
