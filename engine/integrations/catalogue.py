"""The event catalogue: what subscribers and feed readers receive, by public name.

The generic engine writes its outbox under engine words (`instance_started`,
`instance_ended`); the public names speak of orders. Every other outbox type is
published under its own name (the flows' escalation codes among them)."""
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
                 "management...; percent, limit_kind, notified).",
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


def outbox_type(public: str) -> str:
    return RENAMED.get(public, public)


def public_type(outbox: str) -> str:
    return PUBLIC_NAME.get(outbox, outbox)
