"""The delivery worker: rounds of dispatch, claim and send, each subscription's group
on a thread of its own, so that a slow or dead endpoint holds up only its own queue
(and never the timers, which run in another thread or process)."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from engine.integrations.service import Integrations

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(self, integrations: Integrations, worker_id: str, threads: int = 8) -> None:
        self.integrations = integrations
        self.worker_id = f"{worker_id}:deliveries"
        self.executor = ThreadPoolExecutor(max_workers=threads,
                                           thread_name_prefix="webhook-delivery")
        self.in_flight: dict[str, Future] = {}

    def run_once(self) -> int:
        """Start sending what is due for subscriptions not already being sent; returns
        how many groups started."""
        self.in_flight = {sid: f for sid, f in self.in_flight.items() if not f.done()}
        started = self.integrations.deliver_round(self.worker_id, self.executor,
                                                  frozenset(self.in_flight))
        self.in_flight.update(started)
        return len(started)

    def run(self, stop: threading.Event, interval_seconds: float = 1.0) -> None:
        log.info("delivery worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                started = self.run_once()
            except Exception:
                log.exception("delivery worker %s: round failed; retrying", self.worker_id)
                started = 0
            if not started:
                stop.wait(interval_seconds)
            else:
                stop.wait(0.05)  # let the groups just started report before claiming more
        self.executor.shutdown(wait=False, cancel_futures=True)
        log.info("delivery worker %s stopped", self.worker_id)
