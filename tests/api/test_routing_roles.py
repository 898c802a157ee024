"""Department roles at routing-table deploy (issue 13): every `<lane>_department` a
routing rule gives names a department whose roles (data/departments.json) include that
lane. A table dispatching to a supervising unit or relaying through a processing
department is refused with the rule, the output, its line and cell, and nothing is
deployed; intake would otherwise fail on every order of that category."""
from __future__ import annotations

import pytest

from tests.api.conftest import ROOT, deploy

ROUTING = (ROOT / "processes" / "routing.dmn").read_bytes()
BRANCH_MARKETING = b"&quot;branch_marketing_centre&quot;"
SUPPORT_GROUP = b"&quot;service_support_group&quot;"


@pytest.mark.parametrize(("old", "new", "refused"), [
    # Two rules dispatch ring-back-tone complaints to the branch's supervisors.
    (BRANCH_MARKETING, b"&quot;branch_supervisors&quot;",
     [("rule 1", "processing_department", "'branch_supervisors'", "processing", "supervisor",
       "rule1_processing", 37),
      ("rule 9", "processing_department", "'branch_supervisors'", "processing", "supervisor",
       "rule7_processing", 205)]),
    # An acceptance desk is no processing department either.
    (BRANCH_MARKETING, b"&quot;provincial_service_desk&quot;",
     [("rule 1", "processing_department", "'provincial_service_desk'", "processing",
       "acceptance", "rule1_processing", 37),
      ("rule 9", "processing_department", "'provincial_service_desk'", "processing",
       "acceptance", "rule7_processing", 205)]),
    # Two rules relay through billing, a processing department.
    (SUPPORT_GROUP, b"&quot;billing&quot;",
     [("rule 5", "relaying_department", "'billing'", "relaying", "processing",
       "rule4_relaying", 124),
      ("rule 7", "relaying_department", "'billing'", "relaying", "processing",
       "rule5_relaying", 166)]),
])
def test_a_routing_table_naming_a_department_outside_its_lane_is_refused(
        client, old, new, refused):
    assert ROUTING.count(old) == 2
    before = client.get("/api/v1/decisions/routing/versions", "designer")
    response = deploy(client, {"routing.dmn": ROUTING.replace(old, new)})
    assert response.status_code == 422, response.json
    problems = [e for e in response.json["errors"] if "lane" in e["message"]]
    assert len(problems) == len(refused), response.json["errors"]
    for problem, (rule, output, department, lane, roles, cell, line) in zip(
            sorted(problems, key=lambda p: p["line"]), refused, strict=True):
        message = problem["message"]
        assert message.startswith(f"{rule}, ") and f"output {output!r}" in message, message
        assert f"{department} does not work the {lane} lane (its roles: {roles})" in message
        assert (problem["file"], problem["element_id"], problem["line"]) == (
            "routing.dmn", cell, line)
    after = client.get("/api/v1/decisions/routing/versions", "designer")
    assert after.get_data() == before.get_data()  # nothing deployed


def test_the_routing_table_as_shipped_deploys(client):
    response = deploy(client, {"routing.dmn": ROUTING.replace(
        b"Ring-back tone copy failed", b"Ring-back tone copy failed.")}, dry_run=True)
    assert response.status_code == 200, response.json
