"""Deployments: designers upload diagrams, decision tables and forms."""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from ..auth import requires
from ..schemas.deployments import DeploymentArgs, DeploymentSchema
from .common import engine

blp = Blueprint("deployments", __name__,
                description="Deploy .bpmn diagrams, .dmn decision tables and .json forms")


@blp.route("")
class Deployments(MethodView):
    @requires("designer")
    @blp.arguments(DeploymentArgs, location="query", unknown=RAISE)
    @blp.response(201, DeploymentSchema, description="Deployed (200 for a dry run)")
    @blp.alt_response(200, schema=DeploymentSchema, description="Dry run: nothing stored")
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "properties": {"files": {"type": "array", "minItems": 1,
                                 "items": {"type": "string", "format": "binary"}}},
        "required": ["files"],
    }}}})
    def post(self, args):
        """Validate and deploy files; every problem is reported at once (422), and
        nothing is deployed when there is any. A new version is made only for content
        that changed. Forms a diagram needs but the upload lacks come from the deployed
        versions, then from the server's forms/."""
        uploads = request.files.getlist("files")
        if not uploads:
            abort(400, description="send the files as multipart/form-data field 'files'")
        files = {}
        for upload in uploads:
            name = Path(upload.filename or "").name
            if name in files:
                abort(400, description=f"{name!r} is uploaded twice")
            files[name] = upload.read()
        results = engine().deployer.deploy_files(
            files, forms_dir=Path(current_app.config["FORMS_DIR"]), dry_run=args["dry_run"])
        body = {"dry_run": args["dry_run"], "deployed": [r.__dict__ for r in results]}
        return body, 200 if args["dry_run"] else 201
