"""Decision tables: the deploy lint matches what SpiffWorkflow runs; routing's shape."""
from __future__ import annotations

import pytest

from engine.definitions.bpmn import DefinitionInvalid
from engine.definitions.decisions import decision_source, evaluate_decision, parse_decision
from engine.errors import DecisionFailed
from engine.workorders.errors import NoRoute
from engine.workorders.routing import route
from tests.conftest import PROCESSES

ROUTING = (PROCESSES / "routing.dmn").read_bytes()


def _parse(dmn: bytes):
    return parse_decision(decision_source("routing.dmn", dmn))


@pytest.mark.parametrize(("old", "new"), [
    (b'<inputEntry id="rule6_phenomenon">\n          <text></text>',
     b'<inputEntry id="rule6_phenomenon">\n          <text> - </text>'),
    (b"<text>cause</text>", b"<text>cause\n</text>"),
])
def test_cells_with_surrounding_spaces_are_refused(old, new):
    assert old in ROUTING
    with pytest.raises(DefinitionInvalid, match="remove the spaces"):
        _parse(ROUTING.replace(old, new))


def test_a_failing_cell_reports_the_real_error():
    table = _parse(ROUTING)
    with pytest.raises(DecisionFailed) as caught:
        evaluate_decision(table, {"business": "network"})  # no phenomenon, no cause
    assert "SimpleNamespace" not in str(caught.value)
    assert "phenomenon" in str(caught.value) or "cause" in str(caught.value)


def _deploy(engine, dmn: bytes):
    engine.deployer.deploy_files({"routing.dmn": dmn})


def test_routing_needs_one_flow_per_rule(engine):
    _deploy(engine, ROUTING.replace(b'hitPolicy="FIRST"', b'hitPolicy="COLLECT"'))
    with pytest.raises(NoRoute, match="must give one flow key"):
        route(engine.catalog, "billing/overcharge/plan")


def test_routing_needs_a_flow_output(engine):
    _deploy(engine, ROUTING.replace(b'name="flow"', b'name="workflow"'))
    with pytest.raises(NoRoute, match="must give one flow key"):
        route(engine.catalog, "billing/overcharge/plan")
