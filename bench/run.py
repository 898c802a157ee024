"""Benchmark: `python bench/run.py [--postgres-url URL] [--quick] [--only PART ...]`.

Prints a table and writes bench/results.json (with --only, the parts run replace
theirs in the file and the rest is kept). PostgreSQL parts use a fresh database on the
given server (default: the local one), dropped afterwards; without a reachable server
they are skipped. Parts: throughput (relay orders over HTTP against raw SpiffWorkflow),
timers, query_scaling, report_scaling, step_cost (CPU, statements and transactions per
step, their growth with an order's history, and the floor the stack itself sets under a
step: a bare Flask request, one write transaction, restore and dump). Targets (2-core
machine): end-to-end >= 25 % of raw in-memory speed, an HTTP completion <= 3x the raw
step's CPU, completion p95 < 250 ms (SQLite) / < 100 ms (PostgreSQL), >= 300 timers
fired per second, look-ups at 200k open orders within 2x of 10k, a day's timeliness
report at 200k stages of history within 2x of 20k.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from sqlalchemy import text

from bench import (
    floor,
    history_growth,
    http_throughput,
    query_scaling,
    raw_spiff,
    report_scaling,
    step_cost,
    timer_rate,
)
from bench.common import database
from bench.table import print_table
from engine import make_engine

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
PARTS = ("throughput", "timers", "query_scaling", "report_scaling", "step_cost")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--only", nargs="+", choices=PARTS, metavar="PART",
                        help=f"run only these parts ({', '.join(PARTS)})")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results.json")
    args = parser.parse_args()
    parts = tuple(args.only or PARTS)
    orders = 40 if args.quick else 200
    sizes = (1_000, 20_000) if args.quick else (10_000, 200_000)
    history = (2_000, 20_000) if args.quick else (20_000, 200_000)
    step_orders, counted_orders, repeats = (10, 2, 1) if args.quick else (40, 5, 3)

    kinds = ["sqlite"] + (["postgresql"] if _reachable(args.postgres_url) else [])
    results: dict = {}
    if args.only and args.output.exists():
        results = json.loads(args.output.read_text())
    results.update({"machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "quick": args.quick})
    if "throughput" in parts:
        results["raw_spiff"] = raw_spiff.run(orders=orders * 2)
    if "step_cost" in parts:
        results["raw_spiff_step"] = raw_spiff.step_cost(orders=step_orders * 5)
    for kind in kinds:
        section = results[kind] = {k: v for k, v in results.get(kind, {}).items()
                                   if k != "skipped"}
        if "throughput" in parts:
            with database(kind, args.postgres_url) as url:
                section["http"] = http_throughput.run(url, orders=orders)
            section["http"]["share_of_raw"] = round(
                section["http"]["orders_per_second"]
                / results["raw_spiff"]["orders_per_second"], 3)
        if "timers" in parts:
            with database(kind, args.postgres_url) as url:
                section["timers"] = timer_rate.run(url, orders=orders * 5)
        if "query_scaling" in parts:
            with database(kind, args.postgres_url) as url:
                section["query_scaling"] = query_scaling.run(url, sizes=sizes)
        if "report_scaling" in parts:
            with database(kind, args.postgres_url) as url:
                section["report_scaling"] = report_scaling.run(url, sizes=history)
        if "step_cost" in parts:
            with database(kind, args.postgres_url) as url:
                section["step_cost"] = step_cost.run(url, orders=step_orders,
                                                     counted_orders=counted_orders)
            section["step_cost"]["ratio_to_raw"] = _ratios_to_raw(
                section["step_cost"], results["raw_spiff_step"])
            with database(kind, args.postgres_url) as url:
                section["history_growth"] = history_growth.run(url, repeats=repeats)
            with database(kind, args.postgres_url) as url:
                section["floor"] = _with_floor_ratios(floor.run(url), section["step_cost"],
                                                      results["raw_spiff_step"])
    if len(kinds) == 1:
        results["postgresql"] = {"skipped": f"no PostgreSQL at {args.postgres_url}"}

    args.output.write_text(json.dumps(results, indent=2))
    print_table(results, kinds, parts, sizes, history)
    print(f"\nwritten to {args.output}")
    return 0


def _ratios_to_raw(measured: dict, raw: dict) -> dict:
    """Our CPU per completion over SpiffWorkflow's own for one step of the diagram."""
    ours = {"http": measured["http"]["complete_cpu_ms"],
            "engine": measured["engine"]["complete_cpu_ms"]}
    return {f"{level}_to_{base}": round(cpu / raw[key], 1)
            for level, cpu in ours.items()
            for base, key in (("in_memory", "step_cpu_ms"),
                              ("serialized", "step_serialized_cpu_ms"))}


def _with_floor_ratios(measured: dict, step: dict, raw: dict) -> dict:
    """The stack's floor per step (floor.py) beside the raw step and our completion."""
    total = floor.floor_ms(measured, raw["step_cpu_ms"])
    return {**measured, "floor_ms": total,
            "floor_to_raw": round(total / raw["step_cpu_ms"], 1),
            "http_to_floor": round(step["http"]["complete_cpu_ms"] / total, 1)}


def _reachable(url: str) -> bool:
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


if __name__ == "__main__":
    sys.exit(main())
