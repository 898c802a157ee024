"""Case work on an order in a real browser: the case log and an interim reply, an
attachment uploaded and downloaded as a file, a manager's escalation and two versions of
a liability judgment, a withdrawal, and a complaint resolved on the spot at intake."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.console.conftest import screenshot, sign_in

BILL = b"Bill for March: 88 yuan; charged 188.\n"


def test_the_case_log_and_attachments_of_an_order(live, page):
    number = live.submit()["number"]
    sign_in(page, live, "front_desk")
    page.goto(f"{live.base}/console/#/order/{number}")
    page.locator("summary", has_text="Add to the case log").click()
    entry = page.locator('details[data-operation="case-log"]')
    entry.get_by_label("Kind").select_option("interim_reply")
    entry.get_by_label("Text").fill("We are checking the base station near you.")
    entry.get_by_role("button", name="Add to the case log").click()
    page.get_by_text("Done.").wait_for()
    log = page.locator(".case-log table")
    expect(log.locator("tbody tr")).to_have_count(1)
    assert "Interim reply" in log.inner_text()
    assert "We are checking the base station near you." in log.inner_text()

    page.set_input_files("#attachment-file", files=[
        {"name": "bill.txt", "mimeType": "text/plain", "buffer": BILL}])
    page.get_by_label("Description").fill("The customer's bill")
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Done.").wait_for()
    files = page.locator(".attachments table")
    files.wait_for()
    assert "The customer's bill" in files.inner_text()
    screenshot(page, "order-case-work")
    with page.expect_download() as downloaded:
        files.get_by_role("button", name="bill.txt").click()
    download = downloaded.value
    assert download.suggested_filename == "bill.txt"
    with open(download.path(), "rb") as file:
        assert file.read() == BILL
    listed = live.call("GET", f"/api/v1/work-orders/{number}/attachments", "manager").json()
    assert [a["file_name"] for a in listed] == ["bill.txt"]

    # The customer withdraws: the order ends, its actions go.
    page.locator("summary", has_text="Withdraw").click()
    page.locator('details[data-operation="withdraw"]').get_by_label("Reason").fill(
        "Signal is back; the customer withdraws.")
    page.locator('details[data-operation="withdraw"]').get_by_role(
        "button", name="Withdraw").click()
    expect(page.locator('details[data-operation="withdraw"]')).to_have_count(0)
    assert live.call("GET", f"/api/v1/work-orders/{number}",
                     "manager").json()["status"] == "withdrawn"
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_manager_escalates_and_judges_liability_twice(live, page):
    number = live.submit()["number"]
    sign_in(page, live, "manager")
    page.goto(f"{live.base}/console/#/order/{number}")
    expect(page.locator("#upgrade-state")).to_have_text("Not upgraded.")
    page.locator("summary", has_text="Escalate").click()
    escalate = page.locator('details[data-operation="escalate"]')
    escalate.get_by_role("button", name="Escalate").click()  # nothing chosen: the API says
    escalate.locator('[data-field="source"] .field-error').wait_for()
    escalate.get_by_label("Source").select_option("regulator")
    escalate.get_by_label("Reference").fill("MIIT-2026-0042")
    escalate.get_by_role("button", name="Escalate").click()
    page.get_by_text("Done.").wait_for()
    assert "MIIT-2026-0042" in page.locator("#upgrade-state").inner_text()

    versions = page.locator(".upgrade table tbody tr")
    for count, liable in enumerate(("true", "false"), start=1):
        page.locator("summary", has_text="Judge liability").click()
        judge = page.locator('details[data-operation="liability"]')
        judge.get_by_label("Company-liable").select_option(liable)
        judge.get_by_label("Liable departments (ids, comma-separated)").fill(
            "network_ops" if liable == "true" else "")
        # Only a liable judgment names a cause (the API refuses one otherwise).
        judge.get_by_label("Cause", exact=True).select_option(
            "network_quality" if liable == "true" else "")
        judge.get_by_role("button", name="Judge liability").click()
        expect(versions).to_have_count(count)
    assert versions.nth(0).locator("td").nth(1).inner_text() == "Yes"
    assert versions.nth(1).locator("td").nth(1).inner_text() == "No"
    screenshot(page, "order-upgrade")
    upgrade = live.call("GET", f"/api/v1/work-orders/{number}", "manager").json()["upgrade"]
    assert [j["liable"] for j in upgrade["judgments"]] == [True, False]
    assert upgrade["liability"]["version"] == 2
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_complaint_resolved_on_the_spot_at_intake(live, page):
    sign_in(page, live, "front_desk")
    page.get_by_role("link", name="New order").click()
    page.get_by_label("Search categories").fill("base station")
    page.get_by_label("Category", exact=True).select_option("network/no_signal/base_station")
    page.get_by_label("Customer phone").fill("13912345678")
    page.get_by_label("Content").fill("No signal since this morning.")
    page.get_by_label("Channel").select_option("hotline")
    page.locator('[data-field="location"] input').fill("Xihu district, Hangzhou")
    page.locator('[data-field="occurred_at"] input').fill("2026-03-01")
    page.get_by_label("Resolved on the spot", exact=True).check()
    page.get_by_label("Answer given to the customer").fill("Restarted the phone; signal back.")
    page.get_by_role("button", name="Submit order").click()
    created = page.locator("#created-order")
    created.wait_for()
    order = live.call("GET", f"/api/v1/work-orders/{created.inner_text()}", "manager").json()
    assert (order["status"], order["first_contact"]) == ("closed", True)
    assert page.problems == []  # type: ignore[attr-defined]
