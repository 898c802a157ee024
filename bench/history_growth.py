"""Does a step get dearer as an order's history grows? One relay order at its handling
stage is transferred (alternately between two processing departments), sent back (and
re-dispatched) or urged 100 times over HTTP, then resolved: that completion's CPU
against a fresh order's, each operation's CPU first against last, and the serialized
state (process_instances.state) before and after.

The shipped caps would stop this early (urges 10 minutes apart and at most 20,
data/settings.json; transfers plus send-backs at most 3, processes/service_levels.dmn),
so the app runs on temporary copies of data/ and processes/ with the caps lifted. The
simulated clock moves a second per operation: no limit falls due on the way.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from .common import FORM_DATA, RELAY_DEPARTMENTS, RELAY_INTAKE, ROOT, in_process_api, median
from .sql_count import SqlCounter, median_counts

KINDS = ("transfer", "send_back", "urge")
SAMPLE = 5  # operations compared at each end
SECOND = timedelta(seconds=1)
UNCAPPED = 1_000_000
ACCEPTANCE, RELAYING, PROCESSING = (RELAY_DEPARTMENTS[lane] for lane in
                                    ("Acceptance", "Relaying", "Processing"))
OTHER_PROCESSING = "network_operations"  # the other end of the transfers
PRINCIPALS = {"integrator": ("integrator", None),
              **{d: ("department", d) for d in (*RELAY_DEPARTMENTS.values(), OTHER_PROCESSING)}}


def run(url: str, *, ops: int = 100, repeats: int = 1) -> dict:
    with _uncapped_copies() as (data_dir, processes_dir):
        api = in_process_api(url, PRINCIPALS, data_dir=data_dir, processes_dir=processes_dir)
        try:
            _Order(api, _cpu).to_handling()  # warm-up: caches, connections
            timed = {kind: [_with_history(api, _cpu, kind, ops) for _ in range(repeats)]
                     for kind in ("none", *KINDS)}
            counter = SqlCounter(api.sql_engine)
            try:
                counted = {kind: _with_history(api, _counting(counter), kind, ops)
                           for kind in ("none", *KINDS)}
            finally:
                counter.close()
        finally:
            api.dispose()
    return _summary(timed, counted, ops)


def _summary(timed: dict, counted: dict, ops: int) -> dict:
    fresh_first = median([r["first_completion"] for runs in timed.values() for r in runs])
    fresh_handle = median([r["completion"] for r in timed["none"]])
    out = {"ops": ops, "repeats": len(timed["none"]), "fresh": {
        "first_completion_cpu_ms": _ms(fresh_first),
        "handle_completion_cpu_ms": _ms(fresh_handle),
        "state_bytes_at_handle": timed["none"][0]["state_before"],
        "sql_first_completion": median_counts([counted["none"]["first_completion"]]),
        "sql_handle_completion": median_counts([counted["none"]["completion"]]),
    }}
    for kind in KINDS:
        runs = timed[kind]
        first_ops = median([cpu for r in runs for cpu in r["ops"][:SAMPLE]])
        last_ops = median([cpu for r in runs for cpu in r["ops"][-SAMPLE:]])
        completion = median([r["completion"] for r in runs])
        before, after = runs[0]["state_before"], runs[0]["state_after"]
        out[kind] = {
            "op_cpu_ms_first": _ms(first_ops),
            "op_cpu_ms_last": _ms(last_ops),
            "op_ratio_last_first": round(last_ops / first_ops, 2),
            "completion_cpu_ms": _ms(completion),
            "completion_ratio_to_fresh_first": round(completion / fresh_first, 2),
            "completion_ratio_to_fresh_handle": round(completion / fresh_handle, 2),
            "state_bytes_before": before,
            "state_bytes_after": after,
            "state_ratio": round(after / before, 2),
            "sql_first_op": median_counts([counted[kind]["ops"][0]]),
            "sql_last_op": median_counts([counted[kind]["ops"][-1]]),
            "sql_completion": median_counts([counted[kind]["completion"]]),
        }
    return out


# ------------------------------------------------------------------ the orders

def _cpu(call: Callable[[], object]) -> float:
    started = time.process_time()
    call()
    return time.process_time() - started


def _counting(counter: SqlCounter):
    def meter(call):
        with counter.measure() as counts:
            call()
        return counts
    return meter


class _Order:
    """One relay order over HTTP; `meter(call)` says what a call cost (CPU or counts)."""

    def __init__(self, api, meter) -> None:
        self.api, self.meter = api, meter
        self.first_completion = None
        submitted = api.call("POST", "/work-orders", "integrator", json=RELAY_INTAKE)
        self.number, self.instance_id = submitted["number"], submitted["instance_id"]
        self.holder = PROCESSING

    def to_handling(self) -> None:
        self.first_completion = self.complete()  # dispatch: a fresh order's first
        self.complete()  # re-dispatch to PROCESSING

    def complete(self, data: dict | None = None):
        [stage] = self.api.call("GET", f"/work-orders/{self.number}", "integrator")[
            "open_stages"]
        task = self.api.call("GET", f"/tasks/{stage['task_id']}", stage["department"])
        body = {"data": data or FORM_DATA[task["form"]]}
        return self.meter(lambda: self.api.call(
            "POST", f"/tasks/{task['id']}/complete", stage["department"], json=body))

    def operate(self, kind: str, n: int):
        self.api.clock.advance(SECOND)
        path = f"/work-orders/{self.number}"
        if kind == "urge":
            return self.meter(lambda: self.api.call("POST", f"{path}/urge", ACCEPTANCE,
                                                    json={"note": f"Call {n}."}))
        if kind == "transfer":
            target = OTHER_PROCESSING if self.holder == PROCESSING else PROCESSING
            cost = self.meter(lambda: self.api.call(
                "POST", f"{path}/transfer", self.holder,
                json={"to_department": target, "reason": f"Transfer {n}."}))
            self.holder = target
            return cost
        # A send-back loop: back to the relaying department, which re-dispatches.
        cost = self.meter(lambda: self.api.call("POST", f"{path}/send-back", self.holder,
                                                json={"reason": f"Send-back {n}."}))
        return cost + self.complete()  # CPU seconds or Counts


def _with_history(api, meter, kind: str, ops: int) -> dict:
    order = _Order(api, meter)
    order.to_handling()
    before = api.state_size(order.instance_id)
    costs = [order.operate(kind, n) for n in range(ops if kind != "none" else 0)]
    after = api.state_size(order.instance_id)
    completion = order.complete(FORM_DATA["handle.json"])
    return {"first_completion": order.first_completion, "ops": costs,
            "completion": completion, "state_before": before, "state_after": after}


# ---------------------------------------------------------- the lifted caps

@contextmanager
def _uncapped_copies() -> Iterator[tuple[Path, Path]]:
    """data/ with urges unspaced and uncapped, processes/ with the reassignment cap
    lifted in every service-level rule."""
    with tempfile.TemporaryDirectory(prefix="workorders-bench-history-") as tmp:
        data_dir, processes_dir = Path(tmp) / "data", Path(tmp) / "processes"
        shutil.copytree(ROOT / "data", data_dir)
        shutil.copytree(ROOT / "processes", processes_dir)
        settings_file = data_dir / "settings.json"
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
        settings["work_orders"].update(urge_min_interval="PT0S", urge_max_per_order=UNCAPPED)
        settings_file.write_text(json.dumps(settings, ensure_ascii=False), encoding="utf-8")
        table = processes_dir / "service_levels.dmn"
        text, replaced = re.subn(r'(_max_reassignments">\s*<text>)\d+(</text>)',
                                 rf"\g<1>{UNCAPPED}\g<2>", table.read_text(encoding="utf-8"))
        if not replaced:
            raise RuntimeError(f"{table}: no max_reassignments output entries to lift")
        table.write_text(text, encoding="utf-8")
        yield data_dir, processes_dir


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)
