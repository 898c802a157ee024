"""Liveness and readiness for load balancers and orchestrators (no token needed)."""
from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields
from sqlalchemy import text
from werkzeug.exceptions import ServiceUnavailable

from ..problems import RETRY_AFTER_SECONDS
from ..schemas.common import ProblemSchema
from .common import engine

blp = Blueprint("health", __name__, description="Health checks")
PUBLIC: dict[str, list] = {"security": []}  # in the OpenAPI document: no token needed


class HealthSchema(ma.Schema):
    status = fields.String(required=True, metadata={"description": "ok, or ready"})


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    @blp.doc(**PUBLIC)
    def get(self):
        """The process is up"""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=ProblemSchema,
                      description="Not ready: the database does not answer, or no process "
                                  "is deployed (with Retry-After)")
    @blp.doc(**PUBLIC)
    def get(self):
        """The database answers and process definitions are deployed"""
        try:
            with engine().reading() as session:
                session.execute(text("SELECT 1"))
        except Exception as err:  # any driver error means "not ready"
            raise ServiceUnavailable(f"database unavailable: {type(err).__name__}",
                                     retry_after=RETRY_AFTER_SECONDS) from None
        if not engine().catalog.deployed_keys():
            raise ServiceUnavailable("no process definitions deployed",
                                     retry_after=RETRY_AFTER_SECONDS)
        return {"status": "ready"}
