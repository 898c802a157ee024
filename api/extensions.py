"""Flask extensions, created once and bound to the app in the factory."""
from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from engine.store.models import Base

from .problems import PROBLEM_JSON, http_problem
from .schemas.common import ProblemSchema

# Flask-SQLAlchemy manages the connection (pool, config, teardown) for the engine
# package's own tables, which stay plain SQLAlchemy so they work without Flask.
db = SQLAlchemy(metadata=Base.metadata)

_JSON = "application/json"


class ProblemResponses(BasePlugin):
    """Documents error responses as what api/problems.py sends: application/problem+json.

    flask-smorest describes its error responses (the shared components such as
    UNPROCESSABLE_ENTITY and DEFAULT_ERROR, with the error schema) and any error an
    operation documents itself in the default response type, application/json.
    """

    def init_spec(self, spec) -> None:
        self.spec = spec

    def response_helper(self, response: dict, **kwargs: Any) -> dict | None:
        content = response.get("content") or {}
        if _JSON in content and self._is_problem(content[_JSON].get("schema")):
            return {**response, "content": {PROBLEM_JSON: content[_JSON]}}
        return None

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content") if isinstance(response, dict) else None
                if content and _JSON in content and _is_error_status(status):
                    content[PROBLEM_JSON] = content.pop(_JSON)

    def _is_problem(self, schema: Any) -> bool:
        if schema is ProblemSchema or isinstance(schema, ProblemSchema):
            return True
        marshmallow = next(p for p in self.spec.plugins if isinstance(p, MarshmallowPlugin))
        converter = marshmallow.converter
        return converter is not None and schema == converter.resolve_nested_schema(ProblemSchema)


def _is_error_status(status: int | str) -> bool:
    return str(status) == "default" or str(status)[0] in "45"


class ProblemApi(Api):
    """flask-smorest, answering every HTTP error as application/problem+json and
    documenting it so."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app=None, **kwargs: Any) -> None:
        kwargs.setdefault("spec_kwargs", {}).setdefault("extra_plugins", [ProblemResponses()])
        super().__init__(app, **kwargs)

    def handle_http_exception(self, error):
        return http_problem(error)
