"""Timers fired per second by 2 `flask worker` processes on overdue orders."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from engine import ProcessEngine, SimulatedClock, SystemClock
from engine.store.database import make_engine
from engine.store.models import Timer

from .common import ROOT, SUBMISSION, start_workers, stop


def run(url: str, *, orders: int, workers: int = 2, batch_size: int = 100) -> dict:
    database = make_engine(url)
    # Started two days ago on a simulated clock: every dispatch limit and department
    # total is already due for workers on the real clock (2 timers per order).
    engine = ProcessEngine(sessionmaker(database, expire_on_commit=False),
                           SimulatedClock(SystemClock().now() - timedelta(days=2)))
    engine.deployer.deploy_directory(ROOT / "processes", ROOT / "forms")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: engine.starter.start("one_department", f"T-{n:06d}", SUBMISSION),
                      range(orders)))
    pending = select(func.count()).select_from(Timer).where(Timer.state == "pending")

    def count() -> int:
        with engine.reading() as session:
            return session.scalar(pending)

    total = count()
    processes = start_workers(url, workers, batch_size)
    try:
        while (left := count()) == total:  # workers starting up: not part of the rate
            time.sleep(0.01)
        started = time.perf_counter()
        while count() > 0:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        stop(processes)
        database.dispose()
    return {"timers": total, "measured": left, "workers": workers,
            "seconds": round(elapsed, 2), "timers_per_second": round(left / elapsed, 1)}
