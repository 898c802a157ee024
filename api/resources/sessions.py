"""People log in (a short-lived bearer token) and out."""
from __future__ import annotations

from flask import abort, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.people.errors import AccountLocked, LoginRefused

from ..auth import public, requires
from ..presenters import staff_view
from ..schemas.staff import LoginSchema, SessionSchema
from .staff import accounts

blp = Blueprint("sessions", __name__, description="Logins of people (staff accounts)")


@blp.route("")
class Sessions(MethodView):
    @public
    @blp.arguments(LoginSchema)
    @blp.response(201, SessionSchema)
    @blp.alt_response(401, description="Wrong staff id or password")
    @blp.alt_response(423, description="Locked after repeated wrong passwords")
    @blp.doc(security=[])
    def post(self, body):
        """Log in with staff id and password; the token expires (data/people.json)"""
        g.form_data_field = "body"
        try:
            login = accounts().login(body["staff_id"], body["password"],
                                     department=body.get("department"),
                                     acting_as=body.get("acting_as"))
        except LoginRefused as err:
            abort(401, description=str(err))
        except AccountLocked as err:
            abort(423, description=str(err))
        return {"token": login.token, "expires_at": login.expires_at, "role": login.role,
                "department": login.department, "staff": staff_view(login.staff)}


@blp.route("/current")
class CurrentSession(MethodView):
    @requires("department", "manager", "designer", "admin", "integrator")
    @blp.response(204)
    def delete(self):
        """Log out: this token stops working (an API token is not affected)"""
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        accounts().logout(token)
