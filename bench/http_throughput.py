"""Full two-department relay orders through the HTTP API: 16 concurrent clients,
gunicorn with 2 workers. Each order is driven by what the API answers, as an integrating
system would: intake answers with the open stage, each completion with the stages open
after it (9 requests per order; people use the inbox instead)."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from .common import FORM_DATA, RELAY_DEPARTMENTS, RELAY_INTAKE, gunicorn, make_tokens, median
from .common import percentile as pct

REQUESTS_PER_ORDER = 10  # intake and nine completions
PRINCIPALS = {"integrator": ("integrator", None),
              **{dept: ("department", dept) for dept in RELAY_DEPARTMENTS.values()}}


@dataclass
class Samples:
    completions: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float) -> None:
        with self.lock:
            self.completions.append(seconds)


def run(url: str, *, orders: int, clients: int = 16, gunicorn_workers: int = 2) -> dict:
    tokens = make_tokens(url, PRINCIPALS)
    samples = Samples()
    with gunicorn(url, workers=gunicorn_workers, threads=clients // gunicorn_workers) as base:
        local = threading.local()

        def session() -> requests.Session:
            if not hasattr(local, "http"):
                local.http = requests.Session()
            return local.http

        def one_order(n: int) -> None:
            _relay_order(session(), base, tokens, f"BENCH-{n:06d}", samples)

        one_order(-1)  # warm up both processes' caches before timing
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            list(pool.map(one_order, range(orders)))
        elapsed = time.perf_counter() - started
        floor = _server_floor(base, session, clients, requests_count=orders * REQUESTS_PER_ORDER)
    return {
        # The same server and clients answering GET /healthz (no token, no database):
        # the requests per second this machine manages when the server does nothing.
        "floor_requests_per_second": floor,
        "floor_orders_per_second": round(floor / REQUESTS_PER_ORDER, 1),
        "orders": orders,
        "clients": clients,
        "gunicorn_workers": gunicorn_workers,
        "seconds": round(elapsed, 2),
        "orders_per_second": round(orders / elapsed, 2),
        "complete_p50_ms": round(median(samples.completions) * 1000, 1),
        "complete_p95_ms": round(pct(samples.completions, 0.95) * 1000, 1),
    }


def _server_floor(base: str, session, clients: int, *, requests_count: int) -> float:
    def hit(_n: int) -> None:
        session().get(f"{base}/healthz", timeout=60).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(hit, range(requests_count)))
    return round(requests_count / (time.perf_counter() - started), 1)


def _relay_order(http, base, tokens, business_key, samples: Samples) -> None:
    def call(method, path, who, **kwargs):
        response = http.request(method, base + path, timeout=60,
                                headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    order = call("POST", "/api/v1/work-orders", "integrator",
                 json={**RELAY_INTAKE, "external_reference": business_key})
    open_tasks = [{"id": stage["task_id"], "department": stage["department"],
                   "form": stage["form"]} for stage in order["open_stages"]]
    while open_tasks:
        task = open_tasks[0]
        started = time.perf_counter()
        done = call("POST", f"/api/v1/tasks/{task['id']}/complete", task["department"],
                    json={"data": FORM_DATA[task["form"]]})
        samples.add(time.perf_counter() - started)
        open_tasks = done["next_tasks"]
