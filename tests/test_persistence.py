"""State survives restarts; a failure inside a unit of work leaves nothing behind."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from engine.store.models import HumanTask, ProcessInstance, TimelineEvent
from engine.store.queries import InstanceFilter
from tests.conftest import FORMS, PROCESSES
from tests.consistency import assert_consistent
from tests.orders import FLOW_STAGES, OrderDriver


def _run_relay_order(driver_for_step) -> tuple[str, list[tuple]]:
    """The relay flow with the handling stage left 30 min late.

    `driver_for_step()` gives the driver to use for each next step, so a caller can
    hand out a freshly started engine every time."""
    instance_id = driver_for_step().start("two_department_relay")
    for stage, _lane, _form, limit in FLOW_STAGES["two_department_relay"]:
        late = timedelta(minutes=30) if stage == "handle" else timedelta(0)
        driver_for_step().tick(limit / 2)
        driver_for_step().tick(limit / 2 + late)
        driver_for_step().complete(instance_id, stage)
    timeline = [
        (e.type, e.stage, e.department, e.at)
        for e in driver_for_step().engine.reads.timeline(instance_id)
    ]
    return instance_id, timeline


def test_restarting_between_every_two_steps_changes_nothing(make_process_engine, clock):
    first = make_process_engine()
    first.deployer.deploy_directory(PROCESSES, FORMS)
    same_engine = OrderDriver(first, clock)
    start = clock.now()
    _, uninterrupted = _run_relay_order(lambda: same_engine)

    # Replay on the same clock offsets, with a new engine (new spec cache, new
    # connection pool) for every single step.
    clock.set(start + timedelta(days=1))
    offset = clock.now() - start
    _, restarted = _run_relay_order(
        lambda: OrderDriver(make_process_engine(), clock)
    )
    assert [(t, s, d, at - offset) for t, s, d, at in restarted] == uninterrupted
    keys = {i.business_key for i in first.reads.search_instances(InstanceFilter()).items}
    for instance in (first.reads.find_instance("two_department_relay", key) for key in keys):
        assert_consistent(first, instance.id)
    types = [t for t, *_ in restarted]
    assert types.count("stage_overdue") == 1 and types[-1] == "ended"


def test_pending_timers_survive_a_restart(make_process_engine, clock):
    engine = make_process_engine()
    engine.deployer.deploy_directory(PROCESSES, FORMS)
    instance_id = OrderDriver(engine, clock).start("one_department")

    later = OrderDriver(make_process_engine(), clock)
    # The dispatch limit, and the ladder's warning and breach rungs.
    assert later.tick(timedelta(minutes=15) + timedelta(seconds=1)) == 3
    assert [e.stage for e in later.events(instance_id, "stage_overdue")] == ["dispatch"]


def test_redeploying_unchanged_diagrams_keeps_the_version(engine):
    results = engine.deployer.deploy_directory(PROCESSES, FORMS)
    assert {(r.version, r.created) for r in results} == {(1, False)}


def _row_counts(engine) -> dict:
    with engine.sessions() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (ProcessInstance, HumanTask, TimelineEvent)
        }


def test_a_crash_inside_a_completion_leaves_the_order_as_it_was(orders, engine, monkeypatch):
    instance_id = orders.start("one_department")
    task = orders.open_task(instance_id)
    before_state = engine.reads.get_instance(instance_id).state
    before_counts = _row_counts(engine)

    def crash(_workflow):
        raise RuntimeError("power cut")

    monkeypatch.setattr("engine.runtime.pipeline.dump_workflow", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        orders.complete(instance_id, "dispatch")
    monkeypatch.undo()

    assert engine.reads.get_instance(instance_id).state == before_state
    assert _row_counts(engine) == before_counts
    assert orders.open_task(instance_id).id == task.id
    orders.complete(instance_id, "dispatch")  # and the order carries on afterwards
    assert orders.open_task(instance_id).stage == "handle"


def test_a_crash_while_firing_timers_fires_them_later_exactly_once(orders, engine, monkeypatch):
    instance_id = orders.start("one_department")
    orders.clock.advance(timedelta(minutes=16))

    def crash(_workflow):
        raise RuntimeError("worker killed")

    monkeypatch.setattr("engine.runtime.pipeline.dump_workflow", crash)
    assert engine.timers.fire_due_timers("worker-a") == 0  # logged, nothing saved
    monkeypatch.undo()
    assert orders.events(instance_id, "stage_overdue") == []

    # Another worker cannot take the batch while worker-a's lease holds ...
    assert engine.timers.fire_due_timers("worker-b") == 0
    # ... and fires it once the lease has expired.
    orders.clock.advance(timedelta(minutes=5, seconds=1))
    assert engine.timers.fire_due_timers("worker-b") == 3  # the limit, its warning and breach rungs
    assert engine.timers.fire_due_timers("worker-c") == 0
    assert len(orders.events(instance_id, "stage_overdue")) == 1


def test_reads_do_not_queue_behind_a_writer(orders, engine):
    """While one unit of work holds the write lock, inbox reads still answer."""
    import threading

    from engine.store.models import ProcessInstance

    instance_id = orders.start("one_department")
    answered = threading.Event()

    def read_inbox() -> None:
        engine.reads.tasks(instance_id=instance_id)
        engine.reads.get_instance(instance_id)
        answered.set()

    with engine.transaction() as session:  # a writer in the middle of its work
        session.get(ProcessInstance, instance_id, with_for_update=True)
        session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                        .values(updated_at=orders.clock.now()))
        reader = threading.Thread(target=read_inbox)
        reader.start()
        # Without deferred read transactions the reader would wait out the 30 s
        # busy timeout here; a few seconds is ample for two queries.
        assert answered.wait(timeout=5), "read waited for the writer"
    reader.join()


def test_the_suite_runs_on_the_configured_database(engine):
    """With TEST_DATABASE_URL set, every engine test runs on PostgreSQL, not SQLite."""
    from tests.databases import ON_POSTGRES

    dialect = engine.sessions.kw["bind"].dialect.name
    assert dialect == ("postgresql" if ON_POSTGRES else "sqlite")
