"""Staff accounts (administrators create and change them) and a person's own account."""
from __future__ import annotations

from flask import abort, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.people.accounts import Accounts

from ..auth import current_principal, requires
from ..presenters import staff_view
from ..schemas.staff import (
    PasswordChangeSchema,
    StaffCreateSchema,
    StaffQueryArgs,
    StaffSchema,
    StaffUpdateSchema,
)
from .common import confined_department

blp = Blueprint("staff", __name__, description="Staff accounts: people, their departments "
                                               "and roles")


def accounts() -> Accounts:
    return current_app.extensions["accounts"]


@blp.route("")
class StaffList(MethodView):
    @requires("admin", "manager", "department")
    @blp.arguments(StaffQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, StaffSchema(many=True))
    def get(self, args):
        """Staff, by staff id (a department sees its own people, e.g. to assign a stage)"""
        department = confined_department(args.get("department"), "staff")
        return [staff_view(person) for person in
                accounts().people(department=department, role=args.get("role"))]

    @requires("admin")
    @blp.arguments(StaffCreateSchema)
    @blp.response(201, StaffSchema)
    def post(self, body):
        """Create a staff account (409 if the staff id is taken)"""
        g.form_data_field = "body"
        return staff_view(accounts().create(body))


@blp.route("/me")
class Me(MethodView):
    @requires("department", "manager", "designer", "admin")
    @blp.response(200, StaffSchema)
    def get(self):
        """The logged-in person's own account"""
        return staff_view(accounts().get(_own_staff_id()))


@blp.route("/me/password")
class OwnPassword(MethodView):
    @requires("department", "manager", "designer", "admin")
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, body):
        """Change your own password (the current one is asked); your other sessions end"""
        g.form_data_field = "body"
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        accounts().change_password(_own_staff_id(), body["current_password"],
                                   body["new_password"], token)


@blp.route("/<string:staff_id>")
class StaffMember(MethodView):
    @requires("admin", "manager", "department")
    @blp.response(200, StaffSchema)
    def get(self, staff_id):
        """One staff member (a department: only its own people)"""
        person = accounts().get(staff_id)
        department = confined_department(None, "staff")
        if department is not None and not person.works_in(department):
            abort(404, description=f"no staff member {staff_id!r}")
        return staff_view(person)

    @requires("admin")
    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, StaffSchema)
    def patch(self, body, staff_id):
        """Change an account: details, departments, roles, a new password, disable, unlock"""
        g.form_data_field = "body"
        return staff_view(accounts().update(staff_id, body))


def _own_staff_id() -> str:
    principal = current_principal()
    if principal.staff_id is None:
        abort(403, description="this is a person's own account; log in as one "
                               "(POST /api/v1/sessions)")
    return principal.staff_id
