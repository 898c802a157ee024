"""What the webhook and feed tests share: a fast retry policy with loopback allowed,
subscribing over HTTP, and running delivery rounds to the end."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import timedelta

from engine.integrations.service import Integrations
from engine.runtime.incidents import RetryPolicy

RETRY = RetryPolicy(max_attempts=5, first_delay=timedelta(seconds=10),
                    max_delay=timedelta(minutes=1))
WAIT_PAST_RETRY = timedelta(minutes=1, seconds=1)  # past any delay of RETRY


def allow_loopback(app, **webhooks) -> Integrations:
    """The app's integrations with loopback endpoints allowed (as WEBHOOKS_ALLOW_LOOPBACK
    does) and RETRY, changed by `webhooks` (WebhookSettings fields)."""
    integrations = app.extensions["integrations"]
    settings = integrations.settings
    integrations.settings = replace(
        settings, allow_loopback=True,
        webhooks=replace(settings.webhooks, **{"retry": RETRY, **webhooks}))
    return integrations


def subscribe(client, url: str, event_types, as_: str = "crm", expect: int = 201, **body):
    response = client.post("/api/v1/subscriptions", as_,
                           json={"url": url, "event_types": list(event_types), **body})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def deliver_all(integrations: Integrations, worker: str = "test-worker",
                rounds: int = 200) -> int:
    """Delivery rounds until one finds nothing due; returns the rounds that sent."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        for sent in range(rounds):
            futures = integrations.deliver_round(worker, executor)
            if not futures:
                return sent
            wait(futures.values())
            for future in futures.values():
                future.result()  # a crash of the sending code fails the test
    raise AssertionError(f"still delivering after {rounds} rounds")
