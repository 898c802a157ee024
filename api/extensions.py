"""Flask extensions, created once and bound to the app in the factory."""
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from engine.store.models import Base

from .problems import http_problem
from .schemas.common import ProblemSchema

# Flask-SQLAlchemy manages the connection (pool, config, teardown) for the engine
# package's own tables, which stay plain SQLAlchemy so they work without Flask.
db = SQLAlchemy(metadata=Base.metadata)


class ProblemApi(Api):
    """flask-smorest, answering every HTTP error as application/problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return http_problem(error)

