"""Moving running instances onto a newer version."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.definitions.bpmn import ProcessSource
from tests.consistency import assert_consistent
from tests.diagrams import FORM, staged_process


def deploy_stages(engine, stages: list[str], reminders: dict[str, str] | None = None) -> int:
    bpmn = staged_process(stages, reminders=reminders)
    [result] = engine.deployer.deploy([ProcessSource("staged", "staged.bpmn", bpmn,
                                            {"check.json": FORM})])
    return result.version


def open_stage(engine, instance_id):
    [task] = engine.reads.tasks(instance_id=instance_id)
    return task


@pytest.fixture
def waiting_in_a_subprocess(engine, clock):
    """An instance at stage `a` inside sub-process `work`, 10 minutes in; then version 2
    inserts stage `c` after `a`."""
    assert deploy_stages(engine, ["a", "b"]) == 1
    instance_id = engine.starter.start("staged", "S-1", {}).instance_id
    clock.advance(timedelta(minutes=10))
    assert deploy_stages(engine, ["a", "c", "b"]) == 2
    return instance_id


def test_dry_run_reports_and_changes_nothing(engine, waiting_in_a_subprocess):
    instance_id = waiting_in_a_subprocess
    before = engine.reads.get_instance(instance_id).state
    [report] = engine.migrator.migrate("staged", instance_ids=[instance_id], dry_run=True)
    assert report == {"instance_id": instance_id, "from_version": 1, "to_version": 2,
                      "migrated": False, "mapped_tasks": ["a"], "dropped_tasks": [],
                      "refusals": []}
    instance = engine.reads.get_instance(instance_id)
    assert (instance.definition_version, instance.state) == (1, before)


def test_a_migrated_instance_runs_the_new_stage_and_keeps_its_due_times(
        engine, clock, orders, waiting_in_a_subprocess):
    instance_id = waiting_in_a_subprocess
    task = open_stage(engine, instance_id)
    due = task.due_at
    [report] = engine.migrator.migrate("staged", instance_ids=[instance_id], actor="designer")
    assert report["migrated"] is True and report["mapped_tasks"] == ["a"]

    instance = engine.reads.get_instance(instance_id)
    assert instance.definition_version == 2
    same_task = open_stage(engine, instance_id)
    assert (same_task.id, same_task.due_at) == (task.id, due)  # not restarted from "now"
    assert [t.due_at for t in engine.reads.timers(instance_id, state="pending")
            if t.kind != "rung"] == [due]
    assert_consistent(engine, instance_id)

    clock.advance(timedelta(minutes=50, seconds=1))  # the original limit, not 10 min later
    engine.timers.fire_due_timers("w")
    assert [e.stage for e in orders.events(instance_id, "stage_overdue")] == ["a"]

    stages = []
    while tasks := engine.reads.tasks(instance_id=instance_id):
        stages.append(tasks[0].stage)
        engine.commands.complete_task(tasks[0].id, {}, "clerk")
    assert stages == ["a", "c", "b"]
    assert engine.reads.get_instance(instance_id).status == "completed"
    migrated = orders.events(instance_id, "migrated")
    assert [(e.actor, e.detail["from_version"], e.detail["to_version"]) for e in migrated] == [
        ("designer", 1, 2)]
    assert_consistent(engine, instance_id)


def test_dropping_an_open_stage_is_refused(engine, waiting_in_a_subprocess):
    instance_id = waiting_in_a_subprocess
    assert deploy_stages(engine, ["c", "b"]) == 3
    [report] = engine.migrator.migrate("staged", instance_ids=[instance_id], to_version=3)
    assert report["migrated"] is False
    assert report["dropped_tasks"] == ["a", "a_limit"]
    assert "open stage 'a' does not exist in the new version" in report["refusals"]
    assert engine.reads.get_instance(instance_id).definition_version == 1
    assert open_stage(engine, instance_id).stage == "a"


def test_all_instances_of_a_version(engine, waiting_in_a_subprocess):
    other = engine.starter.start("staged", "S-2", {}, version=1).instance_id
    newer = engine.starter.start("staged", "S-3", {}).instance_id  # already on version 2
    reports = engine.migrator.migrate("staged", from_version=1)
    assert {(r["instance_id"], r["migrated"]) for r in reports} == {
        (waiting_in_a_subprocess, True), (other, True)}
    assert engine.reads.get_instance(newer).definition_version == 2
    [again] = engine.migrator.migrate("staged", instance_ids=[other])
    assert again["refusals"] == ["already on version 2"]


def test_unknown_instances_are_reported(engine, waiting_in_a_subprocess):
    [report] = engine.migrator.migrate("staged", instance_ids=["nope"])
    assert report["refusals"] == ["no instance of 'staged' with this id"]


def test_dropping_a_waiting_timer_is_refused_and_the_instance_still_works(engine, orders):
    deploy_stages(engine, ["a", "b"], reminders={"a": '"PT30M"'})
    instance_id = engine.starter.start("staged", "S-R", {}).instance_id
    deploy_stages(engine, ["a", "b"])  # the reminder is gone in version 2
    [report] = engine.migrator.migrate("staged", instance_ids=[instance_id])
    assert report["migrated"] is False
    assert "waiting event 'a_remind' does not exist in the new version" in report["refusals"]
    assert_consistent(engine, instance_id)
    engine.commands.complete_task(open_stage(engine, instance_id).id, {}, "clerk")
    assert open_stage(engine, instance_id).stage == "b"


def test_an_instance_that_cannot_move_does_not_stop_the_others(engine, clock):
    deploy_stages(engine, ["a", "b"], reminders={"a": '"PT30M"'})
    moved = engine.starter.start("staged", "S-OK", {}).instance_id
    engine.commands.complete_task(open_stage(engine, moved).id, {}, "clerk")  # now at b
    stuck = engine.starter.start("staged", "S-STUCK", {}).instance_id  # at a, reminder waiting
    # Version 2's reminder on `a` needs a variable this order does not have.
    deploy_stages(engine, ["a", "b"], reminders={"a": "remind_after"})
    reports = {r["instance_id"]: r for r in engine.migrator.migrate("staged", from_version=1)}
    assert reports[moved]["migrated"] is True
    assert reports[stuck]["migrated"] is False
    assert "could not be moved" in reports[stuck]["refusals"][0]
    assert engine.reads.get_instance(stuck).definition_version == 1
    assert_consistent(engine, stuck)
    assert_consistent(engine, moved)
