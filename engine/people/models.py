"""Tables of people: staff accounts and their login sessions."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import engine.workorders.models  # noqa: F401  (case entries refer to work orders)
from engine.store.models import Base


class Staff(Base):
    """A person: staff id (工号), departments, roles, contact details, password hash."""

    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    departments: Mapped[list[Any]] = mapped_column(JSON)  # department ids
    roles: Mapped[list[Any]] = mapped_column(JSON)  # handler, supervisor, manager, ...
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]

    def works_in(self, department: str) -> bool:
        return department in self.departments

    def has_role(self, role: str) -> bool:
        return role in self.roles


class StaffSession(Base):
    """A login: a short-lived bearer token (only its SHA-256 kept), acting for one
    department or in one role."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_staff", "staff_id", "revoked_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"))
    role: Mapped[str] = mapped_column(String(20))  # the principal role it acts in
    department: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class CaseEntry(Base):
    """What handlers did and said between stages: an internal work note, an interim
    reply to the customer (阶段回复), or a contact with the customer (called, not
    reached, SMS sent) with its time and outcome."""

    __tablename__ = "case_entries"
    __table_args__ = (Index("ix_case_entries_order", "number", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(ForeignKey("work_orders.number"))
    kind: Mapped[str] = mapped_column(String(20))  # note | interim_reply | contact
    outcome: Mapped[str | None] = mapped_column(String(20))  # a contact's
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]  # when it happened (a contact may be logged after it)
    recorded_at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))


class Attachment(Base):
    """A file attached to an order or one of its stages; its bytes are in the attachment
    store under `storage_key` (never the uploader's file name)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_order", "number", "uploaded_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(ForeignKey("work_orders.number"))
    task_id: Mapped[str | None] = mapped_column(String(36))  # the stage, if any
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))  # as found in the content
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    storage_key: Mapped[str] = mapped_column(String(100))
    uploaded_by: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]


class CustomerProfile(Base):
    """What is known of a customer across orders (特殊客户): tier, handling guidance and
    sensitivity markers, by customer number."""

    __tablename__ = "customer_profiles"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    tier: Mapped[str] = mapped_column(String(20))
    guidance: Mapped[str | None] = mapped_column(Text)
    markers: Mapped[list[Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))


class CustomerProfileChange(Base):
    """One change of a profile: who, when, and each changed field before and after."""

    __tablename__ = "customer_profile_changes"
    __table_args__ = (Index("ix_customer_profile_changes_phone", "phone", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    phone: Mapped[str] = mapped_column(ForeignKey("customer_profiles.phone"))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)  # field -> {before, after}


class OrderRemedy(Base):
    """The customer's demand and the remedy granted, as coded fields (data/people.json
    remedies): what they asked for, the refund and compensation amounts, an apology."""

    __tablename__ = "order_remedies"

    number: Mapped[str] = mapped_column(ForeignKey("work_orders.number"), primary_key=True)
    demands: Mapped[list[Any]] = mapped_column(JSON)
    refund_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    compensation_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    apology: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class RefundAudit(Base):
    """A refund audit (退费稽核) of an order's remedy by a second person: approved or not,
    for the refund amount it saw."""

    __tablename__ = "refund_audits"
    __table_args__ = (Index("ix_refund_audits_order", "number", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(ForeignKey("work_orders.number"))
    refund_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    approved: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    audited_by: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    audited_at: Mapped[datetime]
