"""Upgraded complaints (升级投诉): the customer went above the company (an upgrade channel
at intake, or a manager escalating an order with its source and reference). The order is
flagged (the flows read the process variable `upgraded`), and the upgrade service table
(processes/upgrade_service.dmn) says who hears of it at once."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import Conflict, DecisionNotFound, NoDecision
from engine.process_engine import ProcessEngine
from engine.reference.directory import MANAGEMENT
from engine.reference.settings import Settings
from engine.runtime.notifications import notify
from engine.runtime.step import append_timeline
from engine.runtime.variables import set_variables
from engine.store.models import ProcessInstance
from engine.workorders.errors import WorkOrderNotFound
from engine.workorders.models import WorkOrder

UPGRADED = "upgraded"  # the timeline event and the process variable
DEFAULT_AUDIENCE = ("supervisor",)  # when no upgrade service table is deployed


def upgrade_order(engine: ProcessEngine, settings: Settings, session: Session,
                  order: WorkOrder, instance: ProcessInstance, source: str,
                  reference: str | None, actor: str, now: datetime) -> None:
    """Flag the order upgraded, put it on its timeline and tell whom the upgrade service
    table names (the process variable is the caller's: set at start, or on escalation)."""
    order.upgraded, order.upgrade_source = True, source
    order.upgrade_reference, order.upgraded_at = reference, now
    audience = _audience(engine, settings, order, source)
    told = _recipients(engine, order, audience)
    detail = {"source": source, "reference": reference, "told": told}
    append_timeline(session, instance.id, UPGRADED, now, actor=actor,
                    department=order.acceptance_department, detail=detail)
    notify(session, instance, told, event=UPGRADED, now=now,
           department=order.acceptance_department, detail=detail,
           message=(f"Upgraded complaint {order.number}: taken to {source}"
                    + (f" ({reference})" if reference else "")))


class Upgrades:
    engine: ProcessEngine
    settings: Settings

    def escalate(self, number: str, source: str, reference: str, actor: str) -> None:
        """A manager records that the customer took order `number` above the company."""
        sources = self.settings.outcomes.upgrades.sources
        if source not in sources:
            raise FormValidationError("escalation", [FieldError(
                "source", f"is one of {', '.join(sources)} (data/settings.json)")])
        with self.engine.transaction() as session:
            order = session.get(WorkOrder, number, with_for_update=True)
            if order is None:
                raise WorkOrderNotFound(number)
            if order.upgraded:
                raise Conflict(f"work order {number} is already upgraded "
                               f"({order.upgrade_source}, {order.upgraded_at})")
            step = self.engine.commands.lock(session, order.instance_id)
            if step.instance.status == "running":
                set_variables(step, {UPGRADED: True})
                self.engine.pipeline.save(step)
            upgrade_order(self.engine, self.settings, session, order, step.instance, source,
                          reference, actor, step.now)


def _audience(engine: ProcessEngine, settings: Settings, order: WorkOrder,
              source: str) -> tuple[str, ...]:
    """Who hears of the upgrade at once, from the upgrade service table."""
    table = settings.outcomes.upgrades.service_table
    inputs = {"upgrade_source": source, "urgency": order.urgency,
              "customer_tier": order.customer_tier, "channel": order.channel}
    try:
        found: Any = engine.catalog.decide(table, inputs).get("notify")
    except DecisionNotFound:
        return DEFAULT_AUDIENCE
    except NoDecision:
        return ()
    if isinstance(found, str):
        found = [found]
    return tuple(name for name in found or () if isinstance(name, str))


def _recipients(engine: ProcessEngine, order: WorkOrder, names: tuple[str, ...]) -> list[str]:
    """`supervisor` (the acceptance department's), `acceptance`, `management` or a
    department of the directory; anything else is left out."""
    directory = engine.directory
    found: list[str] = []
    for name in names:
        if name == "supervisor":
            recipient = (directory.supervisor_of(order.acceptance_department) if directory
                         else MANAGEMENT)
        elif name == "acceptance":
            recipient = order.acceptance_department
        elif name == "management" or directory is None or name in directory:
            recipient = name
        else:
            continue
        if recipient not in found:
            found.append(recipient)
    return found
