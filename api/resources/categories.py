"""The complaint category tree, for the forms that pick a category."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth import ROLES, requires
from ..schemas.categories import CategoryTreeSchema
from .common import work_orders

blp = Blueprint("categories", __name__,
                description="Complaint categories: business > phenomenon > cause")


@blp.route("")
class CategoryTree(MethodView):
    @requires(*ROLES)
    @blp.response(200, CategoryTreeSchema)
    def get(self):
        """The category tree, with the key-information fields each cause requires"""
        categories = work_orders().categories
        return {"fields": categories.fields, "businesses": categories.tree(),
                "leaves": len(categories)}
