"""Customer phone numbers stay out of the logs (issue 13): SQL errors carry no bound
values, and request lines are masked wherever a server logs them."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from gunicorn.config import Config as GunicornConfig
from gunicorn.glogging import Logger as GunicornLogger
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import make_server

from api import work_orders
from api.extensions import db
from api.log_masking import mask_phone_numbers
from engine import make_engine

PHONE = "13912345678"
MASKED = "139****5678"


@pytest.mark.parametrize(("logged", "masked"), [
    (f"GET /api/v1/work-orders?phone={PHONE} HTTP/1.1", f"?phone={MASKED} HTTP"),
    (f"GET /api/v1/work-orders?phone=%2B86{PHONE}&page=2", f"?phone={MASKED}&page=2"),
    ("customer +86 139 1234 5678 called", f"customer {MASKED} called"),
    ("phone=139-1234-5678;", f"phone={MASKED};"),
    (f'{{"customer_phone": "{PHONE}"}}', f'{{"customer_phone": "{MASKED}"}}'),
])
def test_mainland_mobile_numbers_are_masked(logged, masked):
    assert masked in mask_phone_numbers(logged)
    assert PHONE not in mask_phone_numbers(logged)


@pytest.mark.parametrize("kept", [
    "WO-20260302-000001", "12345678901", "139123456789", "a13912345678b",
    "task 3b57aefa-e1f7-4fbb-bf9f-789850aa54bb", "01391234567",
])
def test_other_numbers_and_ids_are_left_alone(kept):
    assert mask_phone_numbers(kept) == kept


def test_sql_errors_carry_no_bound_values(app, database_url):
    # A failing statement used to put its parameters, a phone number among them, in
    # the exception and in the log of the 500.
    with app.app_context():
        engines = [db.engine, make_engine(database_url)]
    try:
        for engine in engines:
            with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
                connection.execute(text("SELECT no_such_column FROM work_orders "
                                        "WHERE customer_phone = :phone"), {"phone": PHONE})
            assert PHONE not in str(caught.value)
    finally:
        engines[1].dispose()


def test_the_log_of_an_unexpected_error_masks_numbers(client, app, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError(f"could not search for {PHONE}")

    monkeypatch.setattr(work_orders(app), "search", broken)
    with caplog.at_level(logging.ERROR, logger="api.problems"):
        response = client.get("/api/v1/work-orders", "manager",
                              query_string={"phone": PHONE})
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "api.problems"]
    assert "could not search for 139****5678" in caplog.text
    assert PHONE not in caplog.text and PHONE not in (record.exc_text or "")


def test_gunicorn_access_log_masks_numbers(app, tmp_path):
    # gunicorn's own logger, configured as `gunicorn --access-logfile FILE` does; the
    # app (created by the fixture) has put its filter on `gunicorn.access`.
    config = GunicornConfig()
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = GunicornLogger(config)
    try:
        environ = {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
                   "RAW_URI": f"/api/v1/work-orders?phone={PHONE}",
                   "PATH_INFO": "/api/v1/work-orders", "QUERY_STRING": f"phone={PHONE}",
                   "HTTP_REFERER": f"https://crm.example/search?phone={PHONE}",
                   "REMOTE_ADDR": "10.0.0.7"}
        logger.access(SimpleNamespace(status="200 OK", sent=42, headers=[]),
                      SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    finally:
        for handler in logging.getLogger("gunicorn.access").handlers[:]:
            handler.close()
            logging.getLogger("gunicorn.access").removeHandler(handler)
    line = (tmp_path / "access.log").read_text()
    assert f"GET /api/v1/work-orders?phone={MASKED} HTTP/1.1" in line, line
    assert PHONE not in line


def test_werkzeug_request_log_masks_numbers(client, caplog):
    # The development server (`flask run`) logs every request line on `werkzeug`.
    app = client.flask_client.application
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            response = requests.get(
                f"http://127.0.0.1:{server.port}/api/v1/work-orders",
                params={"phone": PHONE}, timeout=10,
                headers={"Authorization": f"Bearer {client.tokens['manager']}"})
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert response.status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any(f"phone={MASKED}" in line for line in lines), lines
    assert not any(PHONE in line for line in lines)
