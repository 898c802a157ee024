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


# The kind of worker `flask serve` runs in its own process, beside the API.
EMBEDDED = "serve"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def embedded_worker_id() -> str:
    """host:pid:serve, the name the embedded worker leases timers under."""
    return f"{default_worker_id()}:{EMBEDDED}"


def reclaim_embedded_leases(engine: ProcessEngine) -> int:
    """Release every lease an embedded worker of this host holds; call it before the
    embedded worker starts. Returns how many were released.

    After `kill -9` (or a power cut) the embedded server's timers stay leased for the
    lease time, under a worker id whose PID is gone, and the restarted server would fire
    them that much late. Every lease of the embedded kind on this host is released, not
    only those of dead PIDs: the embedded set-up is one `flask serve` per database on a
    machine, so at its start no other embedded worker of this host can be holding one;
    a PID check would also miss a PID reused after a restart (a container's server
    is often PID 1 every time) and cannot be made portably (os.kill(pid, 0) terminates
    the process on Windows). Should a second `flask serve` share the database anyway,
    the worst case is that both try the same instance's timers: they fire in the
    instance's locked unit of work, from its saved state, so none fires twice.
    Dedicated workers (`flask worker`, named host:pid) and other hosts are untouched;
    their leases run out as before.
    """
    return engine.timers.release_leases(owner_prefix=f"{socket.gethostname()}:",
                                        owner_suffix=f":{EMBEDDED}")


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


def run_embedded_worker(engine: ProcessEngine, stop: threading.Event, **kwargs) -> int:
    """The timer worker `flask serve` runs beside the API, as `embedded_worker_id()`:
    first releases what an earlier embedded server of this host left leased (see
    reclaim_embedded_leases), then runs like `run_worker` (same keyword arguments)."""
    try:
        if released := reclaim_embedded_leases(engine):
            log.info("released %d timer lease(s) an earlier embedded server left", released)
    except Exception:  # the loop retries the database; stale leases then run out
        log.exception("could not release the leases of an earlier embedded server")
    return run_worker(engine, stop, worker_id=embedded_worker_id(), **kwargs)
