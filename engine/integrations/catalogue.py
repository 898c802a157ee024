"""The event catalogue: what subscribers and feed readers receive, by public name.

The generic engine writes its outbox under engine words (`instance_started`,
`instance_ended`); the public names speak of orders. Every other outbox type is
published under its own name (the flows' escalation codes among them).

Every type the engine writes to the outbox is either here, with its payload, or in
INTERNAL (kept from subscribers and the feed); tests/api/test_event_catalogue.py fails on
a type that is in neither, so a new escalation code in a diagram or a new `publish(...)`
must be catalogued here (and in the README's catalogue) first."""
from __future__ import annotations

# public name -> outbox type
RENAMED = {"order_submitted": "instance_started", "order_closed": "instance_ended"}
PUBLIC_NAME = {outbox: public for public, outbox in RENAMED.items()}

CATALOGUE: dict[str, str] = {
    "order_submitted": "An order was accepted by intake and its flow started.",
    "stage_opened": "A stage opened (task_id, stage, stage_name, lane, department, form, "
                    "limit, due_at, department_limit).",
    "stage_overdue": "A stage passed its stage limit (stage, department, limit, due_at); "
                     "the order goes on.",
    "department_overdue": "A department passed its total limit over its stages in the "
                          "order (once per department and lane).",
    "escalated": "A rung of the escalation ladder fired (rung: warning, breach, "
                 "management, order_warning, order_breach...; percent, limit_kind: stage, "
                 "department or order, limit, due_at, notified).",
    "order_overdue": "The order deadline (the acceptance department's reply) passed "
                     "(limit, due_at, holders); the order goes on.",
    "paused": "A stage's clock was paused (stage, department, reason, resume_at).",
    "resumed": "A paused stage's clock runs again (stage, department, how, reason, "
               "paused_seconds, paused_working_seconds).",
    "withdrawn": "The customer withdrew the complaint: the order ended (department, "
                 "status, reason).",
    "cancelled": "A supervisor cancelled the order as a duplicate: it ended (department, "
                 "status, reason, duplicate_of).",
    "transferred": "The processing department transferred the order (from_department, "
                   "reason, to_departments).",
    "sent_back": "The processing department sent the order back (from_department, reason).",
    "reassignment_capped": "Transfers and send-backs reached the cap: the supervisor "
                           "decides.",
    "audit_rejected": "The acceptance department rejected the result at audit (reason).",
    "urged": "The acceptance department urged the departments holding the order.",
    "reopened": "A return visit found the problem not solved or the customer "
                "dissatisfied: the order went back to its processing department "
                "(from_department, reason, to_departments).",
    "notification": "A department or management was told something (recipient, event, "
                    "message); one per recipient.",
    "order_closed": "The order's flow ended (feedback given).",
}


# Outbox types written but deliberately not offered to subscribers or feed readers
# (outbox type -> why). None at present: every order event is public.
INTERNAL: dict[str, str] = {}


def outbox_type(public: str) -> str:
    return RENAMED.get(public, public)


def public_type(outbox: str) -> str:
    return PUBLIC_NAME.get(outbox, outbox)
