"""What the diagrams throw, turned into records: a lapsed limit (stage_overdue,
department_overdue), or an order event whose escalation code names it (transferred,
sent_back, audit_rejected, urged, ...), told to the departments holding the order."""
from __future__ import annotations

from SpiffWorkflow.task import Task

from engine.runtime.limits import OVERDUE_CODES, applied_limit, attached_stage, escalation_code
from engine.runtime.notifications import notify
from engine.runtime.sandbox import department_of
from engine.runtime.step import Step

# Workflow data: "lane/department" pairs whose department total has lapsed.
LAPSED_LANES_KEY = "lapsed_department_lanes"


def record_thrown_events(step: Step) -> None:
    """Turn the escalations the diagram threw into records: a lapsed limit, or an
    order event (a transfer, a send-back, an urge, ...) whose code names it."""
    thrown, step.escalations = step.escalations, []
    step.workflow.get_events()  # uncaught events were collected as they ran; drop the copies
    for task in thrown:
        code = escalation_code(task.task_spec)
        if code is None:  # never: Step.note_completed notes only tasks that throw one
            continue
        kind = OVERDUE_CODES.get(code)
        origin = task.parent  # the limit's timer, when this is a lapse
        stage_task = attached_stage(origin) if origin is not None and kind else None
        if kind and origin is not None and stage_task is not None:
            _record_lapse(step, code, kind, origin, stage_task)
        else:
            _record_order_event(step, code, task)


def _record_lapse(step: Step, code: str, kind: str, timer: Task, stage_task: Task) -> None:
    department = department_of(stage_task)
    if kind == "department" and _lapse_already_recorded(step, stage_task, department):
        return  # one lapse per department total per order
    detail = {
        "kind": kind,
        "limit": applied_limit(timer),
        "due_at": timer.internal_data.get("event_value"),
        "stage_name": stage_task.task_spec.bpmn_name,
        "lane": stage_task.task_spec.lane,
    }
    stage = stage_task.task_spec.bpmn_id
    step.record(code, stage=stage, department=department, detail=detail)
    step.publish(code, stage=stage, department=department, **detail)


def _lapse_already_recorded(step: Step, stage_task: Task, department: str) -> bool:
    """Whether this department's total in this lane already lapsed in this order (the
    budget is per lane and department: one department may hold two lanes, and a
    department that takes a transfer starts a budget of its own)."""
    lapsed = step.workflow.data.setdefault(LAPSED_LANES_KEY, [])
    lane = stage_task.task_spec.lane or ""
    budget = f"{lane}/{department}"
    if budget in lapsed or lane in lapsed:  # a bare lane: recorded before transfers
        return True
    lapsed.append(budget)
    return False


def _record_order_event(step: Step, code: str, task: Task) -> None:
    """An order event: on the timeline under its code, queued in the outbox, and told
    to the departments that hold the order now (other than the one that acted)."""
    acting = step.acting
    holders = step.holders
    stages = sorted({stage.stage for stage in step.stages})
    # The escalation's own name ("Order transferred") reads better than the event's.
    name = (getattr(task.task_spec.event_definition, "name", None)
            or task.task_spec.bpmn_name or code)
    detail = {"event_name": name, "to_departments": holders, "to_stages": stages}
    if acting is not None:
        detail.update({"from_department": acting.department, "reason": acting.reason})
    detail = {k: v for k, v in detail.items() if v is not None}
    event_type = code[:50]
    department = acting.department if acting else None
    stage = acting.stage if acting else None
    actor = acting.actor if acting else step.timer_actor
    step.record(event_type, actor=actor, stage=stage, department=department, detail=detail)
    step.publish(event_type, stage=stage, department=department, **detail)
    instance = step.instance
    told = [h for h in holders if h != department]
    by = f" by {department}" if department else ""
    why = f": {acting.reason}" if acting and acting.reason else ""
    notify(step.session, instance, told, event=event_type, now=step.now, stage=stage,
           department=department, detail=detail,
           message=f"Order {instance.business_key}: {name}{by}{why}")
