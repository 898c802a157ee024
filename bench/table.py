"""The benchmark's printed table: one column per database, rows for the parts run."""
from __future__ import annotations

from collections.abc import Callable

Row = tuple[str, Callable[[dict], object]]
LABEL = 48
COLUMN = 16


def print_table(results: dict, kinds: list[str], parts: tuple[str, ...],
                sizes: tuple[int, int], history: tuple[int, int]) -> None:
    if "throughput" in parts:
        raw = results["raw_spiff"]["orders_per_second"]
        print(f"\nraw SpiffWorkflow, relay diagram in memory: {raw} orders/s")
    if "step_cost" in parts:
        raw = results["raw_spiff_step"]
        print(f"raw SpiffWorkflow, CPU per relay step: {raw['step_cpu_ms']} ms in memory, "
              f"{raw['step_serialized_cpu_ms']} ms with deserialize+serialize around it "
              f"(state with its spec: {raw['state_bytes_median']:,} bytes)")
    print(f"{'':{LABEL}}" + "".join(f"{kind:>{COLUMN}}" for kind in kinds))
    rows: list[Row] = []
    if "throughput" in parts:
        rows += _throughput_rows()
    if "timers" in parts:
        rows.append(("timers fired/s (2 workers)", lambda r: r["timers"]["timers_per_second"]))
    if "query_scaling" in parts:
        rows += _query_rows(sizes)
    if "report_scaling" in parts:
        rows += _report_rows(history)
    if "step_cost" in parts:
        rows += _step_rows() + _history_rows(results[kinds[0]]["history_growth"]["ops"])
    for label, value in rows:
        cells = "".join(f"{_cell(value, results[kind]):>{COLUMN}}" for kind in kinds)
        print(f"{label:{LABEL}}{cells}")


def _cell(value: Callable[[dict], object], section: dict) -> str:
    try:
        return str(value(section))
    except KeyError:
        return "-"


def _throughput_rows() -> list[Row]:
    return [
        ("relay orders/s over HTTP (16 clients)", lambda r: r["http"]["orders_per_second"]),
        ("  share of raw in-memory speed", lambda r: f"{r['http']['share_of_raw']:.1%}"),
        ("  task completion p50 ms", lambda r: r["http"]["complete_p50_ms"]),
        ("  task completion p95 ms", lambda r: r["http"]["complete_p95_ms"]),
        ("  floor: GET /healthz requests/s, same setup",
         lambda r: r["http"]["floor_requests_per_second"]),
        ("  floor as orders/s (10 requests each)", lambda r: r["http"]["floor_orders_per_second"]),
    ]


def _query_rows(sizes: tuple[int, int]) -> list[Row]:
    rows: list[Row] = []
    for key, label in (("due_timers_ms", "due-timer look-up"), ("inbox_page_ms", "inbox page")):
        for size in sizes:
            rows.append((f"{label} ms at {size:,} open",
                         lambda r, size=size, key=key: r["query_scaling"][str(size)][key]))
    return rows


def _report_rows(history: tuple[int, int]) -> list[Row]:
    rows: list[Row] = []
    for size in history:
        for key, label in (("timeliness_1_day_ms", "timeliness, 1 day"),
                           ("timeliness_30_days_ms", "timeliness, 30 days"),
                           ("kpi_year_ms", "KPI, a year"), ("at_risk_page_ms", "at-risk page")):
            rows.append((f"{label} ms, {size:,} stages in history",
                         lambda r, size=size, key=key: r["report_scaling"][str(size)][key]))
    return rows


def _sql(counts: dict) -> str:
    """statements / transactions / round trips (PostgreSQL only)."""
    return f"{counts['statements']}/{counts['transactions']}/{counts.get('round_trips', '-')}"


def _step_rows() -> list[Row]:
    def cost(r):
        return r["step_cost"]

    def sql(level, kind):
        return lambda r: _sql(cost(r)[level]["sql"]["per_request"][kind])

    return [
        ("CPU ms per completion, median (this process)", lambda r: ""),
        ("  engine: ProcessEngine.complete_task", lambda r: cost(r)["engine"]["complete_cpu_ms"]),
        ("  http: POST /tasks/{id}/complete", lambda r: cost(r)["http"]["complete_cpu_ms"]),
        ("  http: same, wall ms", lambda r: cost(r)["http"]["complete_wall_ms"]),
        ("  http / raw step in memory", lambda r: cost(r)["ratio_to_raw"]["http_to_in_memory"]),
        ("  http / raw step with (de)serialization",
         lambda r: cost(r)["ratio_to_raw"]["http_to_serialized"]),
        ("  engine / raw step in memory",
         lambda r: cost(r)["ratio_to_raw"]["engine_to_in_memory"]),
        ("  http: intake (POST /work-orders) CPU ms", lambda r: cost(r)["http"]["intake_cpu_ms"]),
        ("floor of the stack per step, CPU ms (floor.py)", lambda r: ""),
        ("  bare Flask JSON request", lambda r: r["floor"]["framework_request_cpu_ms"]),
        ("  one write transaction (Core)", lambda r: r["floor"]["database_write_cpu_ms"]),
        ("  restore + dump of the state", lambda r: r["floor"]["restore_and_dump_cpu_ms"]),
        ("  floor incl. raw step", lambda r: r["floor"]["floor_ms"]),
        ("  floor / raw step in memory", lambda r: r["floor"]["floor_to_raw"]),
        ("  http / floor", lambda r: r["floor"]["http_to_floor"]),
        ("statements/transactions/round trips", lambda r: ""),
        ("  engine: complete_task", sql("engine", "complete")),
        ("  engine: start", sql("engine", "start")),
        ("  http: complete", sql("http", "complete")),
        ("  http: intake", sql("http", "intake")),
        ("  http: generic start", sql("http", "generic_start")),
        ("  http: inbox page", sql("http", "inbox")),
        ("  http: claim", sql("http", "claim")),
        ("  http: follow (GET /work-orders/{n})", sql("http", "follow")),
        ("  http: whole relay order", lambda r: _sql(cost(r)["http"]["sql"]["per_order"])),
        ("  http: calls per relay order", lambda r: cost(r)["http"]["sql"]["calls_per_order"]),
    ]


def _history_rows(ops: int) -> list[Row]:
    def growth(kind, key):
        return lambda r: r["history_growth"][kind][key]

    rows: list[Row] = [
        (f"history: {ops} operations, then resolve", lambda r: ""),
        ("  fresh order: first completion CPU ms",
         lambda r: r["history_growth"]["fresh"]["first_completion_cpu_ms"]),
        ("  fresh order: handle completion CPU ms",
         lambda r: r["history_growth"]["fresh"]["handle_completion_cpu_ms"]),
    ]
    for kind in ("transfer", "send_back", "urge"):
        rows += [
            (f"  {kind}: op CPU ms first -> last", lambda r, k=kind: "{:.1f} -> {:.1f}".format(
                growth(k, "op_cpu_ms_first")(r), growth(k, "op_cpu_ms_last")(r))),
            (f"  {kind}: op last/first", growth(kind, "op_ratio_last_first")),
            (f"  {kind}: completion CPU ms after", growth(kind, "completion_cpu_ms")),
            (f"  {kind}:   / fresh first completion",
             growth(kind, "completion_ratio_to_fresh_first")),
            (f"  {kind}:   / fresh handle completion",
             growth(kind, "completion_ratio_to_fresh_handle")),
            (f"  {kind}: state kB before -> after", lambda r, k=kind: "{} -> {}".format(
                round(growth(k, "state_bytes_before")(r) / 1000),
                round(growth(k, "state_bytes_after")(r) / 1000))),
            (f"  {kind}: completion statements first/last",
             lambda r, k=kind: "{}/{}".format(
                 r["history_growth"]["fresh"]["sql_handle_completion"]["statements"],
                 growth(k, "sql_completion")(r)["statements"])),
        ]
    return rows
