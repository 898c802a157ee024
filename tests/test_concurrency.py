"""Real parallelism against one database: no lost updates, nothing done twice.

Runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from engine.errors import Conflict
from tests.consistency import assert_consistent
from tests.orders import FORM_DATA

ORDERS = 200


def test_timers_firing_while_departments_complete_the_same_stages(orders, engine):
    """200 orders whose dispatch limit has just passed: clerks complete dispatch while
    two timer workers fire the limit timers. Every order ends up consistent, with one
    completion and one lapse per dispatch, whoever got there first."""
    instance_ids = [orders.start("one_department") for _ in range(ORDERS)]
    tasks = {i: orders.open_task(i).id for i in instance_ids}
    orders.clock.advance(timedelta(minutes=15, seconds=1))

    stop = threading.Event()
    fired = []

    def timer_worker(name: str) -> None:
        while not stop.is_set():
            fired.append(engine.timers.fire_due_timers(name, batch_size=10))

    def clerk(instance_id: str) -> str:
        try:
            engine.commands.complete_task(tasks[instance_id], FORM_DATA["dispatch.json"], "clerk")
            return "completed"
        except Conflict as err:  # a lost race is a clean refusal, never corruption
            return type(err).__name__

    workers = [threading.Thread(target=timer_worker, args=(f"w{n}",)) for n in range(2)]
    for worker in workers:
        worker.start()
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(clerk, instance_ids))
    stop.set()
    for worker in workers:
        worker.join()

    # A refused completion can only be a retryable conflict; retry those like a client.
    for instance_id, outcome in zip(instance_ids, outcomes, strict=True):
        if outcome != "completed":
            assert outcome in ("InstanceChanged", "Busy"), outcome
            clerk(instance_id)
    for instance_id in instance_ids:
        assert_consistent(engine, instance_id)
        lapses = orders.events(instance_id, "stage_overdue")
        assert [e.stage for e in lapses] == ["dispatch"]
        assert [e.stage for e in orders.events(instance_id, "completed")] == ["dispatch"]
        assert orders.open_task(instance_id).stage == "handle"
    # A timer fired by a completion is not fired again: at most the dispatch limit and
    # its warning and breach rungs per order (each checked once above).
    assert sum(fired) <= 3 * ORDERS


def test_eight_clients_completing_one_task(orders, engine):
    instance_id = orders.start("one_department")
    task_id = orders.open_task(instance_id).id
    barrier = threading.Barrier(8)

    def complete(n: int) -> str:
        barrier.wait()
        try:
            engine.commands.complete_task(task_id, FORM_DATA["dispatch.json"], f"clerk-{n}")
            return "ok"
        except Conflict as err:
            return type(err).__name__

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(complete, range(8)))
    assert sorted(outcomes) == ["TaskNotOpen"] * 7 + ["ok"]
    assert_consistent(engine, instance_id)
