"""The departments' inbox: list, claim, unclaim, complete."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.errors import TaskNotFound
from engine.store.queries import TaskFilter

from ..auth import current_principal, requires
from ..presenters import page_view, task_view
from ..schemas.tasks import (
    AssignSchema,
    CompleteTaskSchema,
    CompletionSchema,
    TaskPageSchema,
    TaskQueryArgs,
    TaskSchema,
)
from .assignments import assign, assign_on_completion
from .common import confined_department, engine, own_department
from .remedies import remedies

blp = Blueprint("tasks", __name__, description="User tasks: the departments' inboxes")


@blp.route("")
class Tasks(MethodView):
    @requires("department", "manager")
    @blp.arguments(TaskQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """Inbox: open tasks, soonest due first (departments see only their own)"""
        department = confined_department(args.get("department"), "tasks")
        assignee, unassigned, mine_or_none = _whose(args)
        where = TaskFilter(
            state=args["state"], department=department, assignee=assignee,
            unassigned=unassigned, assignee_or_unassigned=mine_or_none,
            overdue=args.get("overdue"),
            due_before=args.get("due_before"), business_key=args.get("business_key"),
            process_key=args.get("process_key"),
        )
        return page_view(engine().reads.search_tasks(where, args["page"], args["per_page"]),
                         lambda task: task_view(task, engine()))


@blp.route("/<string:task_id>")
class Task(MethodView):
    @requires("department", "manager")
    @blp.response(200, TaskSchema)
    def get(self, task_id):
        """One task with its form schema and time remaining"""
        return task_view(_visible_task(task_id), engine())


@blp.route("/<string:task_id>/claim")
class Claim(MethodView):
    @requires("department")
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Claim a task for yourself (409 if someone else has it)"""
        task = engine().commands.claim_task(task_id, current_principal().name,
                                            department=own_department())
        return task_view(task, engine())


@blp.route("/<string:task_id>/unclaim")
class Unclaim(MethodView):
    @requires("department")
    @blp.response(200, TaskSchema)
    def post(self, task_id):
        """Put a task you claimed back in the department's inbox"""
        principal = current_principal()
        task = engine().commands.unclaim_task(task_id, principal.name, department=own_department(),
                                     force=principal.is_admin)
        return task_view(task, engine())


@blp.route("/<string:task_id>/complete")
class Complete(MethodView):
    @requires("department")
    @blp.arguments(CompleteTaskSchema)
    @blp.response(200, CompletionSchema)
    def post(self, body, task_id):
        """Complete a task with its form data (422 lists each invalid field); the answer
        has the stages of the instance open now, so a client can go on from it.
        `next_assignee` gives the stage it opens to a named handler. The feedback
        waits for a refund audit where a refund needs one (409)"""
        if body.get("next_assignee"):
            remedies().check_completion(task_id)
            done = assign_on_completion(task_id, body["data"], body["next_assignee"])
        else:
            commands = engine().commands
            checked = commands.check_completion(task_id, body["data"],
                                                department=own_department())
            remedies().check_completion(task_id, checked.stage if checked else None)
            done = commands.complete_task(task_id, body["data"], current_principal().name,
                                          department=own_department(), checked=checked)
        return {**task_view(done.task, engine()),
                "next_tasks": [task_view(task, engine()) for task in done.next_tasks]}


@blp.route("/<string:task_id>/assign")
class Assign(MethodView):
    @requires("department")
    @blp.arguments(AssignSchema)
    @blp.response(200, TaskSchema)
    def post(self, body, task_id):
        """Assign (or reassign) an open stage to a handler of its department: a
        supervisor of that department (or an administrator) does it"""
        return task_view(assign(task_id, body["staff_id"]), engine())


def _whose(args) -> tuple[str | None, bool | None, str | None]:
    """(assignee, unassigned, assignee-or-unassigned) of the inbox asked for: `mine`
    is the caller's own stages, with `unassigned` also those nobody has."""
    if not args.get("mine"):
        return args.get("assignee"), args.get("unassigned"), None
    if args.get("unassigned"):
        return None, None, current_principal().name
    return current_principal().name, None, None


def _visible_task(task_id: str):
    task = engine().reads.get_task(task_id)
    own = own_department()
    if own is not None and task.department != own:
        raise TaskNotFound(task_id)  # another department's task is not shown to exist
    return task
