# The flask CLI builds the app from the factory; wsgi.py (gunicorn) adds the
# start-up checks, which `flask db upgrade` must be able to run without.
FLASK_APP=api:create_app
