"""Decision tables (DMN): versions, and evaluating one to try it out."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..auth import requires
from ..schemas.decisions import DecisionInputSchema, DecisionResultSchema
from ..schemas.definitions import DefinitionVersionArgs, VersionSchema
from .common import engine

blp = Blueprint("decisions", __name__, description="Deployed decision tables")
READERS = ("designer", "manager", "integrator")


@blp.route("")
class Decisions(MethodView):
    @requires(*READERS)
    @blp.response(200, VersionSchema(many=True))
    def get(self):
        """The newest version of each decision table"""
        return [_view(d, versions) for d, versions in engine().catalog.decision_tables()]


@blp.route("/<string:key>/versions")
class DecisionVersions(MethodView):
    @requires(*READERS)
    @blp.response(200, VersionSchema(many=True))
    def get(self, key):
        """Every deployed version of a decision table, newest first"""
        return [_view(d) for d in engine().catalog.versions("decision", key)]


@blp.route("/<string:key>/versions/<int:version>/dmn")
class DecisionXml(MethodView):
    @requires(*READERS)
    @blp.response(200, {"type": "string"}, description="The DMN XML as deployed",
                  content_type="application/xml")
    def get(self, key, version):
        """The DMN of one version"""
        return Response(engine().catalog.decision_definition(key, version).dmn_xml,
                        mimetype="application/xml")


@blp.route("/<string:key>/evaluate")
class Evaluate(MethodView):
    @requires("designer", "manager")
    @blp.arguments(DecisionInputSchema)
    @blp.arguments(DefinitionVersionArgs, location="query", unknown=RAISE)
    @blp.response(200, DecisionResultSchema)
    def post(self, body, args, key):
        """Evaluate a table on inputs (newest version unless `version` is given)"""
        outputs = engine().catalog.decide(key, body["inputs"], args["version"])
        return {"key": key, "outputs": outputs}


def _view(definition, versions=None) -> dict:
    return {"key": definition.key, "version": definition.version, "name": definition.name,
            "versions": versions, "content_hash": definition.content_hash,
            "file_name": definition.file_name, "deployed_at": definition.deployed_at}
