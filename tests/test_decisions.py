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


SERVICE_LEVELS = (PROCESSES / "service_levels.dmn").read_bytes()


@pytest.mark.parametrize(("cell", "shown"), [
    (b"1e300", "1e+300"), (b"100.5", "100.5"), (b"float(&quot;nan&quot;)", "nan"),
    (b"float(&quot;inf&quot;)", "inf"), (b"urgency", "'urgency'"),
])
def test_a_service_level_factor_out_of_bounds_is_refused(engine, cell, shown):
    """A factor of 1e300 deployed, and every order then failed on its first timer."""
    from engine.definitions.bpmn import DefinitionInvalid

    changed = SERVICE_LEVELS.replace(b"<text>0.25</text>", b"<text>" + cell + b"</text>")
    assert changed != SERVICE_LEVELS
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deployer.deploy_files({"service_levels.dmn": changed})
    [problem] = caught.value.problems
    assert problem.file == "service_levels.dmn"
    assert problem.element_id == "service_levels_rule1_limit_factor" and problem.line == 34
    assert "rule 1, output 'limit_factor': a limit factor must be a number above 0 and at " \
           "most 100" in problem.message and problem.message.endswith(f"not {shown}")


def test_a_factor_of_the_largest_allowed_deploys(engine):
    changed = SERVICE_LEVELS.replace(b"<text>12</text>", b"<text>100</text>")
    assert engine.deployer.deploy_files({"service_levels.dmn": changed})[0].version == 2


def _expect_routes(engine, categories: list[str]) -> None:
    from engine.definitions.expectations import DecisionExpectation

    engine.deployer.expectations = (DecisionExpectation(
        "routing", noun="categories", process_outputs=("flow",),
        cases=tuple((c, dict(zip(("business", "phenomenon", "cause"), c.split("/"),
                                 strict=True))) for c in categories)),)


def test_an_expected_table_must_decide_every_case_with_a_deployed_flow(engine):
    from engine.definitions.bpmn import DefinitionInvalid

    _expect_routes(engine, ["billing/overcharge/plan", "astrology/horoscope/late",
                            "network/no_signal/base_station"])
    nowhere = ROUTING.replace(b"&quot;one_department&quot;", b"&quot;no_such_flow&quot;")
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deployer.deploy_files({"routing.dmn": nowhere})
    problems = caught.value.problems
    flows = [p for p in problems if "'no_such_flow'" in p.message]
    assert flows and all(p.element_id.startswith("rule") and p.line for p in flows)
    assert all("neither a deployed process nor one in this deployment" in p.message
               for p in flows)
    [unmatched] = [p for p in problems if "match no rule" in p.message]
    assert unmatched.message == "1 of 3 categories match no rule: astrology/horoscope/late"
    assert (unmatched.file, unmatched.element_id) == ("routing.dmn", "routing")
    assert unmatched.line == 3


def test_a_table_may_name_a_flow_deployed_with_it(engine):
    from tests.conftest import PROCESSES as FLOWS

    _expect_routes(engine, ["billing/overcharge/plan"])
    copy = (FLOWS / "one_department.bpmn").read_bytes().replace(
        b'id="one_department"', b'id="billing_flow"')
    moved = ROUTING.replace(b"&quot;one_department&quot;", b"&quot;billing_flow&quot;")
    results = engine.deployer.deploy_files({"routing.dmn": moved, "billing_flow.bpmn": copy})
    assert {(r.key, r.created) for r in results} == {("routing", True), ("billing_flow", True)}
