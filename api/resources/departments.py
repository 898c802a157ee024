"""The department directory (data/departments.json): the choices a dispatch, transfer or
supervisor's form offers."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.errors import NotFound
from engine.people.departments import department_entry, entries

from ..auth import requires
from ..schemas.departments import DepartmentQueryArgs, DepartmentSchema
from .common import engine

blp = Blueprint("departments", __name__, description="The department directory")
EVERYONE = ("department", "integrator", "designer", "manager")


@blp.route("")
class Departments(MethodView):
    @requires(*EVERYONE)
    @blp.arguments(DepartmentQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, DepartmentSchema(many=True))
    def get(self, args):
        """Every department: ids, names in both languages, lanes, supervising unit"""
        directory = engine().directory
        return entries(directory, args.get("role")) if directory is not None else []


@blp.route("/<string:department_id>")
class Department(MethodView):
    @requires(*EVERYONE)
    @blp.response(200, DepartmentSchema)
    def get(self, department_id):
        """One department"""
        directory = engine().directory
        found = directory.get(department_id) if directory is not None else None
        if found is None or directory is None:
            raise NotFound(f"no department {department_id!r}")
        return department_entry(found, directory)
