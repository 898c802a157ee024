"""Customer profiles (特殊客户 CRM), by customer number: read by the acceptance
departments and managers, changed by the acceptance departments, every change kept."""
from __future__ import annotations

from flask import abort, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.people.profiles import ProfileNotFound, Profiles

from ..auth import current_principal, requires
from ..schemas.customers import (
    CustomerProfileInputSchema,
    CustomerProfileSchema,
    ProfileChangeSchema,
)
from .common import engine, own_department

blp = Blueprint("customers", __name__, description="Customer profiles, by customer number")
ACCEPTANCE = "acceptance"  # the directory role of the departments that keep profiles


def profiles() -> Profiles:
    return current_app.extensions["profiles"]


@blp.route("/<string:phone>/profile")
class Profile(MethodView):
    @requires("department", "manager")
    @blp.response(200, CustomerProfileSchema)
    def get(self, phone):
        """The customer's profile: tier, handling guidance, sensitivity markers"""
        _acceptance_only("read")
        profile = profiles().get(phone)
        if profile is None:
            raise ProfileNotFound()
        return profile

    @requires("department")
    @blp.arguments(CustomerProfileInputSchema)
    @blp.response(200, CustomerProfileSchema)
    def put(self, body, phone):
        """Create or change the profile (fields left out keep their value); the
        acceptance departments keep profiles"""
        g.form_data_field = "body"
        _acceptance_only("change")
        return profiles().put(phone, body, current_principal().name, own_department())


@blp.route("/<string:phone>/profile/history")
class ProfileHistory(MethodView):
    @requires("department", "manager")
    @blp.response(200, ProfileChangeSchema(many=True))
    def get(self, phone):
        """Every change of the profile: who, when, each field before and after"""
        _acceptance_only("read")
        return profiles().history(phone)


def _acceptance_only(what: str) -> None:
    own = own_department()
    if own is None:
        return
    directory = engine().directory
    department = directory.get(own) if directory is not None else None
    if department is None or ACCEPTANCE not in department.roles:
        abort(403, description=f"the acceptance departments {what} customer profiles; "
                               "others see the profile on the order")
