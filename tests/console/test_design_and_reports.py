"""Designers and managers in the console, in a real browser: a changed diagram checked
and deployed, a refused one's problems pinned to their elements in the modeler; the KPI
report read and its CSV downloaded."""
from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import PROCESSES
from tests.console.conftest import screenshot, sign_in

SHIPPED = (PROCESSES / "one_department.bpmn").read_bytes()
DISPATCH_LIMIT = b'scaled("PT15M", limit_factor)</bpmn:timeDuration>'
# The dispatch stage's limit made 20 minutes: a new version.
CHANGED = SHIPPED.replace(DISPATCH_LIMIT, DISPATCH_LIMIT.replace(b"PT15M", b"PT20M"), 1)
# Its form a file nobody deployed and its limit unquoted: refused, both on elements.
REFUSED = CHANGED.replace(b'value="dispatch.json"', b'value="no_such_form.json"').replace(
    b'scaled("PT20M", limit_factor)', b"scaled(PT20M, limit_factor)")


def upload(page, content: bytes) -> None:
    """Choose the file and wait until the modeler shows it."""
    before = int(page.locator("#modeler").get_attribute("data-loads") or 0)
    page.get_by_label("Diagram, decision table and form files").set_input_files(
        files=[{"name": "one_department.bpmn", "mimeType": "application/xml",
                "buffer": content}])
    page.locator(f'#modeler[data-loads="{before + 1}"]').wait_for()


def test_a_designer_deploys_a_changed_diagram_and_sees_a_refused_ones_problems(live, page):
    assert CHANGED != SHIPPED and REFUSED != CHANGED
    running = live.submit()  # on version 1
    sign_in(page, live, "designer")
    page.get_by_role("heading", name="Design").wait_for()

    upload(page, CHANGED)
    page.get_by_role("button", name="Check (dry run)").click()
    page.get_by_text("No problems found.").wait_for()
    page.get_by_role("button", name="Deploy", exact=True).click()
    page.get_by_text("Deployed: one_department v2").wait_for()
    versions = live.call("GET", "/api/v1/process-definitions/one_department/versions",
                         "designer").json()
    assert [v["version"] for v in versions] == [2, 1]
    xml = live.call("GET", "/api/v1/process-definitions/one_department/versions/2/bpmn",
                    "designer").text
    assert 'scaled("PT20M", limit_factor)' in xml
    screenshot(page, "design-deployed")

    # The versions with their running orders; the order's move to v2 checked first.
    page.locator("#flows tr", has_text="one_department").get_by_role("button").click()
    versions_table = page.locator("#flows .versions table")
    versions_table.wait_for()
    assert versions_table.locator("tbody tr").nth(1).locator("td").nth(3).inner_text() == "1"
    page.get_by_label("From version").select_option("1")
    page.get_by_label("To version").select_option("2")
    page.get_by_role("button", name="Check migration").click()
    checked = page.locator("#migration table tbody tr")
    checked.first.wait_for()
    assert checked.count() == 1
    assert running["instance_id"] in checked.first.inner_text()
    assert "dispatch" in checked.first.inner_text()
    instance = live.call("GET", f"/api/v1/process-instances/{running['instance_id']}",
                         "manager").json()
    assert instance["version"] == 1  # a dry run moves nothing
    page.get_by_role("button", name="Migrate", exact=True).click()
    # (Playwright's wait_for_function evaluates a string: the console's policy forbids it.)
    expect(page.locator("#migration caption")).to_have_text("Migrate")
    instance = live.call("GET", f"/api/v1/process-instances/{running['instance_id']}",
                         "manager").json()
    assert instance["version"] == 2
    screenshot(page, "design-migrated")

    upload(page, REFUSED)
    page.get_by_role("button", name="Deploy", exact=True).click()
    problems = page.locator("#deploy-result table tbody tr")
    problems.first.wait_for()
    refused = live.call("POST", "/api/v1/deployments?dry_run=true", "designer",
                        files={"files": ("one_department.bpmn", REFUSED)}).json()["errors"]
    elements = {problem["element_id"] for problem in refused}
    assert {"dispatch", "dispatch_stage_limit"} <= elements
    assert problems.count() == len(refused)
    # Pinned: each element is marked and its message sits beside it on the diagram.
    for element in elements:
        page.locator(f'.djs-element.has-problem[data-element-id="{element}"]').wait_for()
    pins = page.locator(".problem-pin").all_inner_texts()
    assert sorted(pins) == sorted(problem["message"] for problem in refused)
    screenshot(page, "design-refused")
    versions = live.call("GET", "/api/v1/process-definitions/one_department/versions",
                         "designer").json()
    assert [v["version"] for v in versions] == [2, 1]  # nothing deployed
    assert page.problems == []


def test_a_manager_reads_the_kpi_and_downloads_it_as_csv(live, page):
    live.submit()
    sign_in(page, live, "manager")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("tab", name="KPI").click()
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Month").fill("3")
    page.get_by_role("button", name="Show").click()
    table = page.locator("#report-output table", has_text="department")
    table.wait_for()
    api = live.call("GET", "/api/v1/reports/kpi", "manager",
                    params={"year": 2026, "month": 3}).json()
    assert table.locator("tbody tr").count() == len(api["departments"])
    headers = table.locator("thead th").all_inner_texts()
    assert {"department", "month.deduction", "year.deduction", "year.formula"} <= set(headers)
    screenshot(page, "reports-kpi")

    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download CSV").click()
    download = waiting.value
    assert download.suggested_filename == "kpi.csv"
    content = Path(download.path()).read_bytes()
    expected = live.call("GET", "/api/v1/reports/kpi", "manager",
                         params={"year": 2026, "month": 3, "format": "csv"}).content
    assert content == expected and content.startswith(b"\xef\xbb\xbf")
    assert page.problems == []
