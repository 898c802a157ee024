"""Benchmark: `python bench/run.py [--postgres-url URL] [--quick]`.

Prints a table and writes bench/results.json. PostgreSQL parts use a fresh database
on the given server (default: the local one), dropped afterwards; without a reachable
server they are skipped. Targets (2-core machine): end-to-end >= 40 % of raw
in-memory speed, >= 300 timers fired per second, look-ups at 200k open orders within
2x of 10k, a day's timeliness report at 200k stages of history within 2x of 20k.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from sqlalchemy import text

from bench import http_throughput, query_scaling, raw_spiff, report_scaling, timer_rate
from bench.common import database
from engine.database import make_engine

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results.json")
    args = parser.parse_args()
    orders = 40 if args.quick else 200
    sizes = (1_000, 20_000) if args.quick else (10_000, 200_000)
    history = (2_000, 20_000) if args.quick else (20_000, 200_000)

    kinds = ["sqlite"] + (["postgresql"] if _reachable(args.postgres_url) else [])
    results: dict = {"machine": {"python": platform.python_version(),
                                 "cpus": __import__("os").cpu_count()},
                     "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    results["raw_spiff"] = raw_spiff.run(orders=orders * 2)
    for kind in kinds:
        section = results[kind] = {}
        with database(kind, args.postgres_url) as url:
            section["http"] = http_throughput.run(url, orders=orders)
        with database(kind, args.postgres_url) as url:
            section["timers"] = timer_rate.run(url, orders=orders * 5)
        with database(kind, args.postgres_url) as url:
            section["query_scaling"] = query_scaling.run(url, sizes=sizes)
        with database(kind, args.postgres_url) as url:
            section["report_scaling"] = report_scaling.run(url, sizes=history)
        section["http"]["share_of_raw"] = round(
            section["http"]["orders_per_second"] / results["raw_spiff"]["orders_per_second"], 3)
    if len(kinds) == 1:
        results["postgresql"] = {"skipped": f"no PostgreSQL at {args.postgres_url}"}

    args.output.write_text(json.dumps(results, indent=2))
    _print_table(results, kinds, sizes, history)
    print(f"\nwritten to {args.output}")
    return 0


def _reachable(url: str) -> bool:
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _print_table(results: dict, kinds: list[str], sizes: tuple[int, int],
                 history: tuple[int, int]) -> None:
    raw = results["raw_spiff"]["orders_per_second"]
    print(f"\nraw SpiffWorkflow, relay diagram in memory: {raw} orders/s")
    header = f"{'':44}" + "".join(f"{kind:>14}" for kind in kinds)
    print(header)
    rows = [
        ("relay orders/s over HTTP (16 clients)", lambda r: r["http"]["orders_per_second"]),
        ("  share of raw in-memory speed", lambda r: f"{r['http']['share_of_raw']:.1%}"),
        ("  task completion p50 ms", lambda r: r["http"]["complete_p50_ms"]),
        ("  task completion p95 ms", lambda r: r["http"]["complete_p95_ms"]),
        ("timers fired/s (2 workers)", lambda r: r["timers"]["timers_per_second"]),
        (f"due-timer look-up ms at {sizes[0]:,} open",
         lambda r: r["query_scaling"][str(sizes[0])]["due_timers_ms"]),
        (f"due-timer look-up ms at {sizes[1]:,} open",
         lambda r: r["query_scaling"][str(sizes[1])]["due_timers_ms"]),
        (f"inbox page ms at {sizes[0]:,} open",
         lambda r: r["query_scaling"][str(sizes[0])]["inbox_page_ms"]),
        (f"inbox page ms at {sizes[1]:,} open",
         lambda r: r["query_scaling"][str(sizes[1])]["inbox_page_ms"]),
    ]
    for size in history:
        for key, label in (("timeliness_1_day_ms", "timeliness, 1 day"),
                           ("timeliness_30_days_ms", "timeliness, 30 days"),
                           ("kpi_year_ms", "KPI, a year"), ("at_risk_page_ms", "at-risk page")):
            rows.append((f"{label} ms, {size:,} stages in history",
                         lambda r, size=size, key=key: r["report_scaling"][str(size)][key]))
    for label, value in rows:
        print(f"{label:44}" + "".join(f"{value(results[kind])!s:>14}" for kind in kinds))


if __name__ == "__main__":
    sys.exit(main())
