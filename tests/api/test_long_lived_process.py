"""What a long-lived server process sees: many orders, one process, operations
interleaved. An operation on one order must never change how another order runs (the
parsed specs are shared by every order of a version)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.store.models import DecisionDefinition, ProcessDefinition
from tests.api.conftest import ORDER, act, work
from tests.spec_fingerprint import fingerprint

MINUTE = timedelta(minutes=1)

# A category of each flow, with its key fields.
FLOW_ORDERS = {
    "single_dispatch": {"category": "terminal/handset_fault/software",
                        "key_fields": {"handset_model": "Mate 60"}},
    "one_department": {"category": ORDER["category"], "key_fields": ORDER["key_fields"]},
    "two_department_relay": {"category": "network/call_drop/td",
                             "key_fields": {"location": "Binjiang",
                                            "network_generation": "td_scdma"}},
}


def drive_to_close(client, clock, number: str, max_stages: int = 20) -> dict:
    """Complete whatever stage is open, by the department holding it, until the order
    has none left; the order as it then stands."""
    for _ in range(max_stages):
        detail = client.order(number)
        if not detail["open_stages"]:
            return detail
        [stage] = detail["open_stages"]
        clock.advance(MINUTE)
        work(client, number, stage["department"])
    raise AssertionError(f"{number} still has open stages after {max_stages} completions")


def work_until(client, clock, number: str, stage: str, max_stages: int = 20) -> dict:
    """Complete open stages until `stage` is the open one; that stage."""
    for _ in range(max_stages):
        [open_stage] = client.order(number)["open_stages"]
        if open_stage["stage"] == stage:
            return open_stage
        clock.advance(MINUTE)
        work(client, number, open_stage["department"])
    raise AssertionError(f"{number} never reached {stage}")


def operated_order(client, clock, flow: str) -> str:
    """An order of `flow` paused and resumed, urged, transferred, sent back and
    audit-rejected: every operation that throws an event, starts an event sub-process or
    moves the clocks."""
    number = client.submit(**FLOW_ORDERS[flow])["number"]
    handling = work_until(client, clock, number, "handle")
    act(client, number, handling["department"], "pause", reason="waiting_for_customer")
    clock.advance(30 * MINUTE)
    act(client, number, handling["department"], "resume")
    clock.advance(10 * MINUTE)
    act(client, number, "front_desk", "urge", note="Customer called again.")
    act(client, number, handling["department"], "transfer", to_department="billing",
        reason="A billing dispute.")
    act(client, number, "billing", "send-back", reason="Not ours.")
    work_until(client, clock, number, "audit")
    act(client, number, "front_desk", "audit", approved=False, reason="Not fixed.")
    clock.advance(11 * MINUTE)
    act(client, number, "front_desk", "urge", note="Again.")
    return number


@pytest.mark.parametrize("flow", FLOW_ORDERS)
def test_orders_started_after_another_order_was_operated_on_close(client, api_clock, flow):
    earlier = [operated_order(client, api_clock, each) for each in FLOW_ORDERS]
    later = client.submit(**FLOW_ORDERS[flow])
    assert later["flow"] == flow
    closed = drive_to_close(client, api_clock, later["number"])
    assert closed["status"] == "closed", closed["timeline"][-3:]
    # The operated orders close too.
    for number in earlier:
        assert drive_to_close(client, api_clock, number)["status"] == "closed", number


def test_interleaved_orders_of_every_flow_all_close(client, api_clock):
    """Several orders of each flow in flight at once, operations on some of them between
    the stages of the others: every one closes."""
    numbers = [client.submit(**FLOW_ORDERS[flow])["number"]
               for flow in FLOW_ORDERS for _ in range(2)]
    operated = [operated_order(client, api_clock, flow) for flow in FLOW_ORDERS]
    numbers += [client.submit(**FLOW_ORDERS[flow])["number"] for flow in FLOW_ORDERS]
    # One order of each flow withdrawn half-way: it ends, and the others are untouched.
    withdrawn = [client.submit(**FLOW_ORDERS[flow])["number"] for flow in FLOW_ORDERS]
    for number in withdrawn:
        work_until(client, api_clock, number, "handle")
        act(client, number, "front_desk", "withdraw", reason="The customer is satisfied.")
        assert client.order(number)["status"] == "withdrawn", number
    for number in [*numbers, *operated]:
        assert drive_to_close(client, api_clock, number)["status"] == "closed", number


def test_no_run_changes_a_parsed_spec(client, api_clock, engine):
    """Every flow through every operation, lapses and ladder rungs included: each spec,
    form and decision table the cache holds is the same, object for object, after."""
    with engine.reading() as session:
        for definition in session.scalars(select(ProcessDefinition)):
            engine.specs.get(definition)
        for decision in session.scalars(select(DecisionDefinition)):
            engine.specs.decision(decision)
    before = engine.specs.loaded()
    prints = {kind: {key: fingerprint(parsed) for key, parsed in entries.items()}
              for kind, entries in before.items()}
    operated = [operated_order(client, api_clock, flow) for flow in FLOW_ORDERS]
    late = [client.submit(**FLOW_ORDERS[flow])["number"] for flow in FLOW_ORDERS]
    api_clock.advance(timedelta(hours=30))  # every limit and rung of the open stages
    assert engine.timers.fire_due_timers("test-worker") > 0
    statuses = {number: drive_to_close(client, api_clock, number)["status"]
                for number in [*operated, *late]}
    after = engine.specs.loaded()
    assert {kind: set(entries) for kind, entries in after.items()} == \
        {kind: set(entries) for kind, entries in before.items()}
    for kind, entries in after.items():
        for key, parsed in entries.items():
            assert parsed is before[kind][key]
            assert fingerprint(parsed) == prints[kind][key], (kind, key)
    assert set(statuses.values()) == {"closed"}, statuses


def test_the_fingerprint_sees_a_spec_change(engine):
    """The check above can fail: one output added to a start task changes it."""
    with engine.reading() as session:
        definition = session.scalars(select(ProcessDefinition)).first()
    parsed = engine.specs.get(definition)
    before = fingerprint(parsed)
    start = parsed.spec.start
    start._outputs.append(start._outputs[0])
    try:
        assert fingerprint(parsed) != before
    finally:
        start._outputs.pop()
    assert fingerprint(parsed) == before


def _as_spiffworkflow_left_it(parsed):
    """Connect the start task to the urge handler, as SpiffWorkflow 3.2's trigger_wf did
    to the shared spec on the first urge; returns the undo."""
    start = parsed.spec.start
    [handler] = start.trigger_specs
    start.connect(parsed.spec.task_specs[handler])

    def undo() -> None:
        start._outputs.remove(handler)
        parsed.spec.task_specs[handler]._inputs.remove(start.name)
    return undo


def test_flask_repair_closes_orders_a_changed_spec_left_open(client, api_clock, engine, app):
    urged = operated_order(client, api_clock, "one_department")  # triggered for real
    with engine.reading() as session:
        [definition] = session.scalars(select(ProcessDefinition).where(
            ProcessDefinition.key == "one_department")).all()
    undo = _as_spiffworkflow_left_it(engine.specs.get(definition))
    stuck, midway = client.submit()["number"], client.submit()["number"]
    undo()
    assert drive_to_close(client, api_clock, stuck)["status"] == "open"  # the defect
    work_until(client, api_clock, midway, "handle")
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["repair", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would repair {stuck} " in dry.output and f"would repair {midway} " in dry.output
    assert urged not in dry.output and "2 order(s) would repair." in dry.output
    assert client.order(stuck)["status"] == "open"  # a dry run changes nothing

    done = runner.invoke(args=["repair"])
    assert done.exit_code == 0, done.output
    assert f"repaired {stuck} " in done.output and "urge_handling; ended" in done.output
    assert f"repaired {midway} " in done.output and "; still running" in done.output
    closed = client.order(stuck)
    assert closed["status"] == "closed"
    assert [e["detail"]["cancelled"] for e in closed["timeline"]
            if e["type"] == "repaired"] == [["urge_handling"]]
    # The order still under way can still be urged, and closes.
    api_clock.advance(11 * MINUTE)
    act(client, midway, "front_desk", "urge", note="Still no signal.")
    assert drive_to_close(client, api_clock, midway)["status"] == "closed"
    assert "0 order(s) repaired." in runner.invoke(args=["repair"]).output


def _state_size(engine, number: str) -> int:
    instance = engine.reads.find_instance("one_department", number)
    return len(instance.state)


def test_the_state_stays_the_size_of_the_current_stage_however_long_the_history(
        client, api_clock, engine):
    """Audit rejections loop the order back to handling without end, and urges start the
    urge handler again and again: the saved state stays bounded (runtime/history.py);
    the timeline keeps every step."""
    number = client.submit()["number"]
    work_until(client, api_clock, number, "audit")
    act(client, number, "front_desk", "audit", approved=False, reason="Not fixed (1).")
    after_one = _state_size(engine, number)
    for n in range(2, 12):
        api_clock.advance(11 * MINUTE)
        act(client, number, "front_desk", "urge", note=f"Customer waiting ({n}).")
        work_until(client, api_clock, number, "audit")
        act(client, number, "front_desk", "audit", approved=False, reason=f"Not fixed ({n}).")
    after_eleven = _state_size(engine, number)
    assert after_eleven <= after_one * 1.2, (after_one, after_eleven)
    detail = client.order(number)
    assert (detail["counts"]["audit_rejections"], detail["counts"]["urges"]) == (11, 10)
    assert len([e for e in detail["timeline"] if e["type"] == "completed"]) >= 11 * 3
    assert drive_to_close(client, api_clock, number)["status"] == "closed"


def test_urges_at_one_stage_leave_the_state_as_it_was(client, api_clock, engine):
    """Each urge runs the urge handler to its end; the finished handlers do not stay in
    the state (the timeline and notifications keep them)."""
    number = client.submit()["number"]
    work_until(client, api_clock, number, "handle")
    api_clock.advance(11 * MINUTE)
    act(client, number, "front_desk", "urge", note="Customer waiting (1).")
    after_one = _state_size(engine, number)
    for n in range(2, 16):
        api_clock.advance(11 * MINUTE)
        act(client, number, "front_desk", "urge", note=f"Customer waiting ({n}).")
    assert _state_size(engine, number) <= after_one * 1.1, (after_one,
                                                            _state_size(engine, number))
    assert client.order(number)["counts"]["urges"] == 15
    assert drive_to_close(client, api_clock, number)["status"] == "closed"
