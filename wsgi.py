"""Entry point for gunicorn (`gunicorn wsgi:app`): refuses to start on an out-of-date schema."""
from api import create_app, prepare_database

app = create_app()
prepare_database(app)
