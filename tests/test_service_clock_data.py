"""The service clock's data, checked where it is read: the pause reasons file, and the
service-level table's pause caps and order deadline at deploy."""
from __future__ import annotations

import pytest

from engine.definitions.bpmn import DefinitionInvalid
from engine.reference.pause_reasons import PauseReasons, PauseReasonsInvalid
from tests.conftest import FORMS, PROCESSES

SERVICE_LEVELS = (PROCESSES / "service_levels.dmn").read_bytes()


@pytest.mark.parametrize(("document", "where"), [
    ({"reasons": []}, "pause_reasons.json: expected"),
    ({"reasons": [{"code": "Wait!", "name": "x"}]}, "reasons[0].code"),
    ({"reasons": [{"code": "wait", "name": " "}]}, "reasons[0].name"),
    ({"reasons": [{"code": "wait", "name": "a"}, {"code": "wait", "name": "b"}]},
     "appears twice"),
])
def test_a_broken_pause_reasons_file_names_the_field(document, where):
    with pytest.raises(PauseReasonsInvalid) as caught:
        PauseReasons.from_document(document, "data/pause_reasons.json")
    assert str(caught.value).startswith("data/pause_reasons.json: ")
    assert where in str(caught.value)


@pytest.mark.parametrize(("old", "new", "problem"), [
    (b"&quot;PT48H&quot;", b"&quot;soon&quot;", "rule 5, output 'order_limit'"),
    (b"&quot;P3D&quot;", b"3", "rule 5, output 'max_pause_time'"),
    (b"<text>3</text>\n        </outputEntry>\n        <outputEntry id=\"service_levels_rule4_"
     b"max_pause_time\">", b"<text>-1</text>\n        </outputEntry>\n        <outputEntry "
     b"id=\"service_levels_rule4_max_pause_time\">", "rule 5, output 'max_pauses'"),
])
def test_bad_pause_caps_or_order_limits_are_refused_at_deploy(engine, old, new, problem):
    changed = SERVICE_LEVELS.replace(old, new)
    assert changed != SERVICE_LEVELS
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deployer.deploy_files({"service_levels.dmn": changed})
    assert any(problem in p.message for p in caught.value.problems), caught.value.problems


def test_a_deadline_settled_by_no_task_of_the_diagram_is_refused_at_deploy(engine):
    """A typo in deadlineSettledBy would leave the order deadline running past the reply."""
    engine.deployer.deploy_directory(PROCESSES, FORMS)
    shipped = (PROCESSES / "one_department.bpmn").read_bytes()
    changed = shipped.replace(b'name="deadlineSettledBy" value="feedback"',
                              b'name="deadlineSettledBy" value="feedbak"')
    assert changed != shipped
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deployer.deploy_files({"one_department.bpmn": changed}, forms_dir=FORMS)
    assert any("deadlineSettledBy names 'feedbak', which is no task" in problem.message
               for problem in caught.value.problems), caught.value.problems
    engine.deployer.deploy_files({"one_department.bpmn": shipped}, forms_dir=FORMS)
