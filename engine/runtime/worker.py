"""The timer worker: fires due timers until told to stop."""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta

from engine.process_engine import ProcessEngine

log = logging.getLogger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(
    engine: ProcessEngine,
    stop: threading.Event,
    *,
    interval_seconds: float = 1.0,
    batch_size: int = 100,
    lease: timedelta = timedelta(minutes=5),
    worker_id: str | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Fire due timers in batches until `stop` is set; returns how many fired in all.

    A full batch is followed straight away by the next; otherwise the worker waits
    `interval_seconds` of real time (or until stopped) before looking again.
    """
    worker_id = worker_id or default_worker_id()
    total = 0
    log.info("timer worker %s started", worker_id)
    while not stop.is_set():
        try:
            fired = engine.timers.fire_due_timers(worker_id, batch_size=batch_size, lease=lease)
        except Exception:
            log.exception("timer worker %s: batch failed; retrying", worker_id)
            fired = 0
        total += fired
        if on_batch is not None:
            on_batch(fired)
        if fired < batch_size:
            stop.wait(interval_seconds)
    log.info("timer worker %s stopped after firing %d timers", worker_id, total)
    return total
