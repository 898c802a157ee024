"""Tables. Plain SQLAlchemy 2.0 declarative models: the Flask app hands this Base to
Flask-SQLAlchemy, and scripts or tests use it with a bare SQLAlchemy engine."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false

from engine.clock import utc


class UtcDateTime(TypeDecorator):
    """Stores aware UTC datetimes; always hands back aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use the engine clock (aware UTC)")
        return utc(value) if dialect.name != "sqlite" else utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return utc(value) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


class VersionedDefinition:
    """What every deployed definition has: a key, numbered versions, and its source."""

    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300))
    deployed_at: Mapped[datetime]


class ProcessDefinition(VersionedDefinition, Base):
    __tablename__ = "process_definitions"

    bpmn_xml: Mapped[str] = mapped_column(Text)
    forms: Mapped[dict[str, Any]]
    serialized_spec: Mapped[str] = mapped_column(Text)


class DecisionDefinition(VersionedDefinition, Base):
    """A deployed version of a decision table (DMN), e.g. the complaint routing table."""

    __tablename__ = "decision_definitions"

    dmn_xml: Mapped[str] = mapped_column(Text)


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (UniqueConstraint("definition_key", "business_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    definition_version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | completed
    started_by: Mapped[str | None] = mapped_column(String(200), index=True)
    # Hash of what the start asked for, so a retried start is recognised as the same one.
    start_fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)  # SpiffWorkflow JSON, without the spec
    variables: Mapped[dict[str, Any]]  # the latest process data, for reading cheaply
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __mapper_args__ = {"version_id_col": row_version}


class StartRequest(Base):
    """An Idempotency-Key a caller used to start an instance, and what it asked for."""

    __tablename__ = "start_requests"
    __table_args__ = (UniqueConstraint("requester", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    requester: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))
    created_at: Mapped[datetime]


class HumanTask(Base):
    """Query table of user tasks, rewritten after every step of the instance."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_instance", "instance_id", "state"),
        Index("ix_human_tasks_completed", "state", "completed_at"),  # reports by window
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(200))  # the user task's element id
    stage_name: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    form: Mapped[str | None] = mapped_column(String(300))
    instructions: Mapped[str | None] = mapped_column(Text)
    stage_limit: Mapped[str | None] = mapped_column(String(50))  # ISO 8601, as it applied
    # The department total in force for this stage's department (ISO 8601), if any.
    department_limit: Mapped[str | None] = mapped_column(String(50))
    # "working" when a limit counts its department's working calendar; None: elapsed.
    stage_clock: Mapped[str | None] = mapped_column(String(10))
    department_clock: Mapped[str | None] = mapped_column(String(10))
    # The stage's clock is stopped since paused_at (None: running); the time it stood
    # still in earlier pauses, elapsed and in its department's working time.
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")
    paused_working_seconds: Mapped[float] = mapped_column(default=0.0, server_default="0")
    assignee: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(200))


# The inbox: a department's open tasks, soonest due first, those without a limit last,
# ties in a fixed order. Indexing exactly this order (`due_at IS NULL` too, as SQLite
# keeps NULLs first) lets both databases read a page straight from the index instead
# of sorting the department's whole inbox.
INBOX_ORDER = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at,
               HumanTask.id)
Index("ix_human_tasks_inbox", HumanTask.state, HumanTask.department, *INBOX_ORDER)


class Timer(Base):
    """Something due at a moment, for the worker to find: a boundary/catch timer mirrored
    from the workflow, or a rung of the escalation ladder (kind "rung", no Spiff task)."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "state", "due_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # stage | department | other | rung
    element_id: Mapped[str] = mapped_column(String(200))  # a rung: its name, e.g. warning
    task_id: Mapped[str | None] = mapped_column(String(36))  # the stage (user task) it guards
    applied_limit: Mapped[str | None] = mapped_column(String(50))  # ISO 8601
    detail: Mapped[dict[str, Any] | None]  # a rung: percent, limit kind, whom to notify
    stage: Mapped[str | None] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20))  # pending | fired | cancelled
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    # Failed firings (runtime/incidents.py): how many in a row, the last error, and
    # whether they became an incident (then no worker picks the timer up until a retry).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class StagePause(Base):
    """A stage's clock stopped (挂起) and, once resumed, for how long: its limits, its
    department's total and its ladder rungs moved on by that time."""

    __tablename__ = "stage_pauses"
    __table_args__ = (Index("ix_stage_pauses_instance", "instance_id", "paused_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    stage: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[datetime]
    paused_by: Mapped[str] = mapped_column(String(200))
    resume_at: Mapped[datetime | None]  # resumes by itself then, unless resumed before
    # The due times it stopped, by timer id (ISO 8601), restored moved on resume.
    stopped: Mapped[dict[str, Any]]
    resumed_at: Mapped[datetime | None]
    resumed_by: Mapped[str | None] = mapped_column(String(200))
    resumed_how: Mapped[str | None] = mapped_column(String(20))  # hand|time|message|completed
    paused_seconds: Mapped[float | None]
    paused_working_seconds: Mapped[float | None]


class TimelineEvent(Base):
    """Append-only history of an instance."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        Index("ix_timeline_instance", "instance_id", "id"),
        Index("ix_timeline_type_at", "type", "at"),  # reports: urges, lapses in a window
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))
    type: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]]
    request_id: Mapped[str | None] = mapped_column(String(64))  # the request that caused it


class OutboxEvent(Base):
    """Notifications and webhooks to deliver, written in the same transaction as the change."""

    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "id"),
                      Index("ix_outbox_feed_position", "feed_position", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))
    type: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    dispatched_at: Mapped[datetime | None]
    # The event's place in the published feed, given in commit order (an id is taken
    # before its transaction commits, so ids alone can be seen out of order).
    feed_position: Mapped[int | None] = mapped_column(Integer)


class Notification(Base):
    """A message for one recipient (a department id, or "management"), kept until read.
    Each is also queued in the outbox in the same transaction."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_inbox", "recipient", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    business_key: Mapped[str] = mapped_column(String(200))
    event: Mapped[str] = mapped_column(String(50))  # urged, transferred, warning, breach, ...
    stage: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))  # the department concerned
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    # Held to the recipient's working hours: shown from then on (None: at once).
    deliver_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]
    read_by: Mapped[str | None] = mapped_column(String(200))


class Incident(Base):
    """Something a worker failed to do N times in a row (a timer to fire, a message to
    deliver): no longer retried on its own; an operator retries or resolves it."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_open", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # timer | delivery
    subject_id: Mapped[str] = mapped_column(String(64), index=True)  # the timer or delivery
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))  # open | retried | resolved
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))
