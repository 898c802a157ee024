"""The floor under one completed step: what the chosen stack costs before any of our own
work, measured in this process beside the raw SpiffWorkflow step.

* framework: a bare Flask app answering a JSON POST with JSON through the test client
  (no auth, no schema, no database) — the least a Flask request costs;
* database: one write transaction that replaces a state of the engine's typical size
  and inserts one row, through SQLAlchemy Core on a fresh table of the same database;
* serializer: SpiffWorkflow's own restore and dump of a relay order's state on the
  shared spec (the engine's serializer), as a stateless server must do each step.

The floor is their sum plus the raw step: a completion cannot cost less on this stack,
so the ratio `floor / raw` bounds how near SpiffWorkflow's own cost an HTTP completion
can come, and `ours / floor` is what our own work adds on top.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, update

from engine.runtime.serialization import dump_workflow, restore_workflow
from engine.store.database import make_engine

from .common import median_ms, script_engine
from .raw_spiff import _new_workflow, _relay, _step

REPEATS = 400
STATE_BYTES = 13_000  # the engine's serialized relay order, mid-flow (step_cost reports it)


def run(url: str) -> dict:
    framework = _framework_ms()
    database = _database_ms(url)
    serializer = _serializer_ms()
    return {"framework_request_cpu_ms": framework, "database_write_cpu_ms": database,
            "restore_and_dump_cpu_ms": serializer}


def floor_ms(floor: dict, raw_step_ms: float) -> float:
    return round(raw_step_ms + sum(floor.values()), 3)


def _cpu_ms(action: Callable[[], object]) -> float:
    return median_ms(action, repeats=REPEATS, clock=time.process_time)


def _framework_ms() -> float:
    app = Flask("floor")

    @app.post("/tasks/<task_id>/complete")
    def complete(task_id: str):
        body = request.get_json()
        return jsonify({"id": task_id, "data": body["data"], "next_tasks": []})

    client = app.test_client()
    body = {"data": {"action": "resolve", "result": "Base station restarted.",
                     "resolved": True}}
    return _cpu_ms(lambda: client.post("/tasks/t-1/complete", json=body,
                                       headers={"Authorization": "Bearer x"}))


def _database_ms(url: str) -> float:
    engine = make_engine(url)
    metadata = MetaData()
    states = Table("floor_states", metadata, Column("id", Integer, primary_key=True),
                   Column("state", Text))
    events = Table("floor_events", metadata, Column("id", Integer, primary_key=True),
                   Column("kind", String(40)))
    metadata.create_all(engine)
    try:
        with engine.begin() as connection:
            connection.execute(insert(states).values(id=1, state=""))
        state = "x" * STATE_BYTES

        def write() -> None:
            with engine.begin() as connection:
                connection.execute(update(states).where(states.c.id == 1).values(state=state))
                connection.execute(insert(events).values(kind="completed"))

        return _cpu_ms(write)
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def _serializer_ms() -> float:
    parsed, evaluator = _relay(), script_engine()
    workflow = _new_workflow(parsed, evaluator)
    _step(workflow)  # mid-flow, as most completions find it
    state = dump_workflow(workflow)

    def restore_and_dump() -> None:
        restored = restore_workflow(state, parsed.spec, parsed.subprocess_specs)
        dump_workflow(restored)

    return _cpu_ms(restore_and_dump)
