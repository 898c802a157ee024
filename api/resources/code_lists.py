"""Designer-maintained code lists (data/liable_causes.json, ...), for the forms whose
fields take one of their codes (a field's "x-code-list")."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import ROLES, requires
from ..schemas.code_lists import CodeListSchema
from .common import engine

blp = Blueprint("code-lists", __name__, description="Code lists the forms' fields take")


@blp.route("/<string:name>")
class CodeListResource(MethodView):
    @requires(*ROLES)
    @blp.response(200, CodeListSchema)
    def get(self, name: str):
        """The codes of one list (liable_causes) with their names"""
        code_list = (engine().code_lists or {}).get(name)
        if code_list is None:
            abort(404, description=f"there is no code list {name!r}")
        return {"name": code_list.name,
                "codes": [{"code": c.code, "name": c.name} for c in code_list]}
