"""Flask extensions, created once and bound to the app in the factory."""
from flask_sqlalchemy import SQLAlchemy

from engine.models import Base

# Flask-SQLAlchemy manages the connection (pool, config, teardown) for the engine
# package's own tables, which stay plain SQLAlchemy so they work without Flask.
db = SQLAlchemy(metadata=Base.metadata)
