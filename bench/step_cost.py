"""The cost of one step of a relay order, measured in this process so only our own
CPU is counted: `time.process_time()` per task completion, at two levels.

* engine: `ProcessEngine.complete_task` (restore, run, record, save; no HTTP);
* http: the same orders through the Flask test client, submitted by intake (POST
  /work-orders) and worked the way a client does (inbox, claim, complete, follow).

Timed runs and counting runs are separate (listeners and the PostgreSQL trace cost CPU).
On PostgreSQL the CPU is this process's only; the server's is not in it (wall time is
reported beside it). The simulated clock moves a minute per stage, so no limit falls
due and every step is a plain completion.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from api import process_engine
from engine import ProcessEngine, make_engine, make_session_factory

from .common import (
    FORM_DATA,
    RELAY_DEPARTMENTS,
    RELAY_INTAKE,
    ROOT,
    SUBMISSION,
    in_process_api,
    median,
    simulated_clock,
)
from .sql_count import Counts, SqlCounter, median_counts

FLOW = "two_department_relay"
MINUTE = timedelta(minutes=1)
PRINCIPALS = {"integrator": ("integrator", None),
              **{dept: ("department", dept) for dept in RELAY_DEPARTMENTS.values()}}

# measure(kind, stage, call) runs call() and records what it cost under kind/stage.
Measure = Callable[[str, str | None, Callable[[], object]], object]


def run(url: str, *, orders: int, counted_orders: int = 3) -> dict:
    return {"orders_timed": orders, "orders_counted": counted_orders,
            "engine": _engine_level(url, orders, counted_orders),
            "http": _http_level(url, orders, counted_orders)}


# ------------------------------------------------------------------ engine level

def _engine_level(url: str, orders: int, counted_orders: int) -> dict:
    database = make_engine(url)
    clock = simulated_clock()
    engine = ProcessEngine(make_session_factory(database), clock)
    engine.deployer.deploy_directory(ROOT / "processes", ROOT / "forms")

    def order(key: str, measure: Measure) -> None:
        result = measure("start", None, lambda: engine.starter.start(FLOW, key, SUBMISSION,
                                                             actor="bench"))
        while tasks := engine.reads.tasks(instance_id=result.instance_id):
            task = tasks[0]
            clock.advance(MINUTE)
            measure("complete", task.stage, lambda task=task: engine.commands.complete_task(
                task.id, FORM_DATA[task.form], "bench", department=task.department))

    try:
        timed = _timed(lambda n, measure: order(f"STEP-E-{n:05d}", measure), orders)
        counted = _counted(database, lambda n, measure: order(f"STEP-EC-{n:05d}", measure),
                           counted_orders)
    finally:
        database.dispose()
    return {**timed, "sql": counted}


# -------------------------------------------------------------------- HTTP level

def _http_level(url: str, orders: int, counted_orders: int) -> dict:
    api = in_process_api(url, PRINCIPALS)

    def order(_n: int, measure: Measure) -> None:
        submitted = measure("intake", None, lambda: api.call(
            "POST", "/work-orders", "integrator", json=RELAY_INTAKE))
        number, stages = submitted["number"], submitted["open_stages"]
        while stages:
            department = stages[0]["department"]
            [task] = measure("inbox", None, lambda d=department: api.call(
                "GET", "/tasks", d, query_string={"business_key": number}))["items"]
            path = f"/tasks/{task['id']}"
            measure("claim", None, lambda d=department, p=path: api.call(
                "POST", f"{p}/claim", d))
            api.clock.advance(MINUTE)
            measure("complete", task["stage"], lambda d=department, p=path, t=task: api.call(
                "POST", f"{p}/complete", d, json={"data": FORM_DATA[t["form"]]}))
            stages = measure("follow", None, lambda: api.call(
                "GET", f"/work-orders/{number}", "integrator"))["open_stages"]

    # The generic start takes no work-order flow: a designer's copy of the relay flow
    # under another key (the same stages and start), as the tests of that API use.
    generic = f"generic_{FLOW}"
    shipped = (ROOT / "processes" / f"{FLOW}.bpmn").read_bytes()
    with api.app.app_context():
        process_engine(api.app).deployer.deploy_files(
            {f"{generic}.bpmn": shipped.replace(FLOW.encode(), generic.encode())},
            forms_dir=ROOT / "forms")

    def generic_start(n: int, measure: Measure) -> None:
        measure("start", None, lambda: api.call(
            "POST", f"/process-definitions/{generic}/start", "integrator",
            json={"business_key": f"STEP-G-{n:05d}", "variables": SUBMISSION}))

    try:
        timed = _timed(order, orders)
        timed_starts = _timed(lambda n, m: generic_start(n + 100_000, m), min(orders, 10))
        counted = _counted(api.sql_engine, order, counted_orders)
        counted_starts = _counted(api.sql_engine, lambda n, m: generic_start(n + 200_000, m),
                                  counted_orders)
    finally:
        api.dispose()
    timed["generic_start_cpu_ms"] = timed_starts["start_cpu_ms"]
    counted["per_request"]["generic_start"] = counted_starts["per_request"]["start"]
    return {**timed, "sql": counted}


# ------------------------------------------------------------ timing and counting

def _timed(order: Callable[[int, Measure], None], orders: int) -> dict:
    """Median CPU (and wall) ms per kind of call; completions also by stage."""
    cpu: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    by_stage: dict[str, list[float]] = defaultdict(list)

    def measure(kind, stage, call):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        result = call()
        cpu[kind].append(time.process_time() - started_cpu)
        wall[kind].append(time.perf_counter() - started_wall)
        if stage is not None:
            by_stage[stage].append(cpu[kind][-1])
        return result

    order(-1, lambda kind, stage, call: call())  # warm-up: caches, first connections
    for n in range(orders):
        order(n, measure)
    out = {f"{kind}_cpu_ms": _ms(median(values)) for kind, values in cpu.items()}
    out.update({f"{kind}_wall_ms": _ms(median(values)) for kind, values in wall.items()})
    if by_stage:
        out["complete_cpu_ms_by_stage"] = {s: _ms(median(v)) for s, v in by_stage.items()}
    return out


def _counted(sql_engine, order: Callable[[int, Measure], None], orders: int) -> dict:
    """Median counts per kind of call, and per whole order (every call it made)."""
    per_kind: dict[str, list[Counts]] = defaultdict(list)
    per_order: list[Counts] = []
    counter = SqlCounter(sql_engine)
    try:
        order(-2, lambda kind, stage, call: call())  # warm-up: connections, caches
        for n in range(orders):
            calls: list[Counts] = []

            def measure(kind, _stage, call, calls=calls):
                with counter.measure() as counts:
                    result = call()
                per_kind[kind].append(counts)
                calls.append(counts)
                return result

            order(n, measure)
            per_order.append(sum(calls[1:], calls[0]))
    finally:
        counter.close()
    return {"per_request": {kind: median_counts(v) for kind, v in per_kind.items()},
            "per_order": median_counts(per_order),
            "calls_per_order": round(sum(map(len, per_kind.values())) / max(orders, 1), 1)}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
