"""Liveness and readiness for load balancers and orchestrators (no token needed)."""
from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text

from .common import engine

blp = Blueprint("health", __name__, description="Health checks")


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200)
    def get(self):
        """The process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200)
    def get(self):
        """The database answers and process definitions are deployed"""
        try:
            with engine().reading() as session:
                session.execute(text("SELECT 1"))
        except Exception as err:  # any driver error means "not ready"
            abort(503, description=f"database unavailable: {type(err).__name__}")
        if not engine().catalog.definitions():
            abort(503, description="no process definitions deployed")
        return {"status": "ready"}
