"""The work-order tables: the orders intake records (searchable, beside their flow's
process instance), the daily numbering counters, the hotspot alerts and the liability
judgments of upgraded orders."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.store.models import Base
from engine.workorders.errors import WorkOrderNotFound


class WorkOrder(Base):
    """A complaint work order: what intake recorded, searchable; its flow is the process
    instance (business key = number)."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("submitted_by", "idempotency_key"),
        UniqueConstraint("submitted_by", "external_reference"),
    )

    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), unique=True)
    flow: Mapped[str] = mapped_column(String(200))
    customer_phone: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(50))
    acceptance_department: Mapped[str] = mapped_column(String(200), index=True)
    customer_tier: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(20))
    submitted_by: Mapped[str] = mapped_column(String(200), index=True)
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    content: Mapped[str] = mapped_column(Text, server_default="")  # for hotspot keywords
    external_reference: Mapped[str | None] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the submission, for retries
    # Outcomes (issue 14). Earlier orders of the same customer within the repeat window
    # (0: not a repeat), the latest of them linked.
    repeat_count: Mapped[int] = mapped_column(Integer, server_default="0", default=0)
    repeat_of: Mapped[str | None] = mapped_column(String(40))
    # Taken above the company (an upgrade channel, or escalated by a manager).
    upgraded: Mapped[bool] = mapped_column(Boolean, server_default="0", default=False)
    upgrade_source: Mapped[str | None] = mapped_column(String(50))
    upgrade_reference: Mapped[str | None] = mapped_column(String(200))
    upgraded_at: Mapped[datetime | None]
    # Resolved on the spot by the acceptance department (当场解决): closed at intake.
    first_contact: Mapped[bool] = mapped_column(Boolean, server_default="0", default=False)
    city: Mapped[str | None] = mapped_column(String(50))  # the customer's home city (归属地)


class WorkOrderCounter(Base):
    """The last work-order number given out on a day (numbers restart each day)."""

    __tablename__ = "work_order_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)  # YYYYMMDD
    last: Mapped[int] = mapped_column(Integer)


class HotspotAlert(Base):
    """A burst of complaints (one category, or matching keywords) past a rule's
    threshold within its window; raised again only a window after the last."""

    __tablename__ = "hotspot_alerts"
    __table_args__ = (Index("ix_hotspot_alerts_recent", "rule", "key", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(200))  # the category, or the rule's name
    window_start: Mapped[datetime]  # the start of the window counted
    window: Mapped[str] = mapped_column(String(50))  # ISO 8601
    threshold: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)  # complaints in the window when raised
    department: Mapped[str] = mapped_column(String(200))  # told of it
    raised_at: Mapped[datetime] = mapped_column(index=True)
    business_key: Mapped[str] = mapped_column(String(200))  # the complaint that tipped it
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))


class LiabilityJudgment(Base):
    """One version of the liability judgment (企业有责 or not) of an upgraded order;
    a revision adds a version, the latest one counts."""

    __tablename__ = "liability_judgments"
    __table_args__ = (UniqueConstraint("number", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(ForeignKey("work_orders.number"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    liable: Mapped[bool] = mapped_column(Boolean)
    departments: Mapped[list[Any]] = mapped_column(JSON)  # the liable department ids
    cause: Mapped[str | None] = mapped_column(String(50))  # a coded liable cause
    major: Mapped[bool] = mapped_column(Boolean)  # caused a major complaint (重大投诉)
    judged_at: Mapped[datetime] = mapped_column(index=True)  # counted in its month
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


def find_order(session: Session, number: str) -> WorkOrder:
    """The work order `number`, or WorkOrderNotFound."""
    order = session.get(WorkOrder, number)
    if order is None:
        raise WorkOrderNotFound(number)
    return order
