"""Delivery by worker processes: a worker SIGKILLed in the middle of a delivery leaves
it leased, and another delivers it once the lease has run out (redelivery, not loss)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from engine import SystemClock
from engine.integrations.models import Delivery
from tests.api import conftest as api_conftest
from tests.api.webhook_helpers import allow_loopback, deliver_all, subscribe
from tests.conftest import ROOT
from tests.receivers import Receiver


def test_a_worker_killed_mid_delivery_leads_to_redelivery_not_loss(
        client, app, api_clock, engine, database_url):
    integrations = allow_loopback(app)
    receiver = Receiver(hold=True).start()  # takes the request, never answers
    worker = None
    try:
        subscribe(client, receiver.url, ["order_submitted", "stage_opened"])
        number = client.submit()["number"]
        env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": api_conftest.test_data_dir(),
               "WEBHOOKS_ALLOW_LOOPBACK": "1", "PYTHONUNBUFFERED": "1"}
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", "--interval", "0.05"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert receiver.arrived.wait(60), "the worker process sent nothing"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        [in_flight] = receiver.received
        with engine.reading() as session:
            rows = session.scalars(select(Delivery).order_by(Delivery.event_id)).all()
        assert [(d.state, d.attempts) for d in rows] == [("pending", 0), ("pending", 0)]
        assert rows[0].lease_owner is not None and rows[0].lease_owner.endswith(":deliveries")

        # Once its lease has run out, another worker delivers it again, then the rest.
        receiver.hold = False
        api_clock.set(SystemClock().now() + timedelta(minutes=10))
        deliver_all(integrations)
        ids = receiver.ids()
        assert ids[:2] == [in_flight.headers["webhook-id"]] * 2
        assert receiver.types() == ["order_submitted", "order_submitted", "stage_opened"]
        assert {r.json["data"]["order"] for r in receiver.received} == {number}
        with engine.reading() as session:
            assert [d.state for d in session.scalars(select(Delivery))] == [
                "delivered", "delivered"]
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        receiver.close()


def test_a_restarted_server_takes_back_its_embedded_delivery_leases(client, app, engine):
    import socket

    integrations = allow_loopback(app)
    receiver = Receiver().start()
    try:
        subscribe(client, receiver.url, ["order_submitted"])
        client.submit()
        integrations.dispatch()
        gone = f"{socket.gethostname()}:999999:serve:deliveries"  # a killed `flask serve`
        other = "elsewhere:1:serve:deliveries"
        integrations.claim(gone)
        assert deliver_all(integrations) == 0  # leased: nothing is due
        released = integrations.release_leases(owner_prefix=f"{socket.gethostname()}:",
                                               owner_suffix=":serve:deliveries")
        assert released == 1
        integrations.claim(other)  # another host's lease is left to run out
        assert integrations.release_leases(owner_prefix=f"{socket.gethostname()}:",
                                           owner_suffix=":serve:deliveries") == 0
        assert receiver.received == []
    finally:
        receiver.close()
