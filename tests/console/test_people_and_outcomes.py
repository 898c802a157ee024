"""The console with people, case work and outcomes, in a real browser: a handler signs in
with staff id and password; a supervisor assigns a stage and the handler finds it under
"mine"; signing out ends the login on the server; a stage is paused (a reason the API
offers) and resumed; a manager reads an outcome report with its chart and downloads its
CSV."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from tests.console.conftest import hire, log_in, screenshot, sign_in

PASSWORD = "correct horse battery"


def test_a_supervisor_assigns_a_stage_and_the_handler_finds_it_under_mine(live, page):
    hire(live, "SUP1", "Li Supervisor", ["supervisor"], ["front_desk"], PASSWORD)
    hire(live, "H1", "王小明", ["handler"], ["front_desk"], PASSWORD)
    hire(live, "H2", "Zhang Handler", ["handler"], ["front_desk"], PASSWORD)
    number = live.submit()["number"]
    other = live.submit()["number"]

    # A wrong password is refused with a clear message, and nothing is kept.
    page.goto(live.base + "/console/")
    page.get_by_label("Staff id").fill("SUP1")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#login .status.error")).to_have_text("Wrong staff id or password.")
    assert page.evaluate("sessionStorage.getItem('workorders.token')") is None
    screenshot(page, "sign-in")

    log_in(page, live, "SUP1", PASSWORD)
    expect(page.locator("#signed-in")).to_have_text(
        "Signed in as Li Supervisor (SUP1) for Front desk · department")
    # The supervisor's view: theirs and the department's unassigned, each with a choice
    # of the department's handlers.
    row = page.locator(f'tr[data-order="{number}"]')
    row.wait_for()
    choice = row.locator("select.assignee-choice")
    expect(choice.locator("option")).to_have_count(3)  # "choose", H1, H2
    choice.select_option("H1")
    screenshot(page, "inbox-assign")
    row.get_by_role("button", name="Assign").click()
    # Assigned to H1, it is neither the supervisor's nor unassigned any more.
    expect(row).to_have_count(0)
    expect(page.locator(f'tr[data-order="{other}"]')).to_have_count(1)
    [task] = live.call("GET", "/api/v1/tasks", "front_desk",
                       params={"business_key": number}).json()["items"]
    assert task["assignee"] == "H1"

    # Signing out ends the login on the server, not just in the tab.
    token = page.evaluate("sessionStorage.getItem('workorders.token')")
    assert token.startswith("ps_")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Staff id").wait_for()
    assert page.evaluate("sessionStorage.getItem('workorders.token')") is None
    gone = live.http.get(live.base + "/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401

    log_in(page, live, "H1", PASSWORD)
    expect(page.locator("#signed-in")).to_have_text(
        "Signed in as 王小明 (H1) for Front desk · department")
    page.get_by_label("Assigned").select_option("mine")
    mine = page.locator("tr[data-order]")
    expect(mine).to_have_count(1)
    assert mine.first.get_attribute("data-order") == number
    assert "H1" in mine.first.inner_text()
    # A handler assigns nothing.
    assert page.locator("select.assignee-choice").count() == 0
    screenshot(page, "inbox-mine")
    page.get_by_label("Assigned").select_option("mine-unassigned")
    expect(page.locator("tr[data-order]")).to_have_count(2)
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_stage_is_paused_with_a_reason_and_resumed(live, page):
    number = live.submit()["number"]
    [task] = live.call("GET", "/api/v1/tasks", "front_desk",
                       params={"business_key": number}).json()["items"]
    done = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                     json={"data": {"processing_department": "network_operations"}})
    assert done.status_code == 200, done.text

    sign_in(page, live, "network_operations")
    page.goto(f"{live.base}/console/#/order/{number}")
    deadline = page.locator("#order-deadline")
    deadline.wait_for()
    assert "Order deadline" in deadline.inner_text()
    assert deadline.locator(".countdown").inner_text().count(":") == 2  # hh:mm:ss left

    page.locator("summary", has_text="Pause").click()
    pause = page.locator('details[data-operation="pause"]')
    reasons = pause.get_by_label("Reason").locator("option")
    # The reasons the API offers, by name (data/pause_reasons.json).
    assert "Waiting for the customer" in reasons.all_inner_texts()
    pause.get_by_role("button", name="Pause").click()  # no reason: the API says so
    pause.locator('[data-field="reason"] .field-error').wait_for()
    pause.get_by_label("Reason").select_option("waiting_for_customer")
    pause.get_by_label("Note").fill("Asked for the bill.")
    pause.get_by_role("button", name="Pause").click()
    page.get_by_text("Done.").wait_for()
    stage_row = page.locator(".order-header tr.paused")
    expect(stage_row).to_have_count(1)
    assert "Paused since" in stage_row.inner_text()
    assert "paused" in deadline.inner_text()
    detail = live.call("GET", f"/api/v1/work-orders/{number}", "manager").json()
    assert detail["open_stages"][0]["paused_since"] is not None
    screenshot(page, "order-paused")

    # The inbox marks it too.
    page.goto(f"{live.base}/console/#/inbox")
    paused_row = page.locator(f'tr.paused[data-order="{number}"]')
    paused_row.wait_for()
    assert "Paused since" in paused_row.inner_text()

    page.goto(f"{live.base}/console/#/order/{number}")
    page.locator("summary", has_text="Resume").click()
    page.locator('details[data-operation="resume"]').get_by_role("button", name="Resume").click()
    page.get_by_text("Done.").wait_for()
    expect(page.locator(".order-header tr.paused")).to_have_count(0)
    detail = live.call("GET", f"/api/v1/work-orders/{number}", "manager").json()
    assert detail["open_stages"][0]["paused_since"] is None
    assert [e["type"] for e in detail["timeline"] if e["type"] in ("paused", "resumed")] == [
        "paused", "resumed"]
    assert page.problems == []  # type: ignore[attr-defined]


def test_a_manager_reads_an_outcome_report_with_its_chart_and_downloads_its_csv(live, page):
    spot = live.submit(resolved_on_the_spot={"answer": "Restarted the phone; signal back."})
    assert spot["status"] == "closed"
    open_one = live.submit()["number"]  # open: not in the closed orders' figures
    [task] = live.call("GET", "/api/v1/tasks", "front_desk",
                       params={"business_key": open_one}).json()["items"]
    dispatched = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                           json={"data": {"processing_department": "network_operations"}})
    assert dispatched.status_code == 200, dispatched.text  # a stage done, on time
    hire(live, "M1", "Chen Manager", ["manager"], [], PASSWORD)

    log_in(page, live, "M1", PASSWORD, acting_as="manager")
    expect(page.locator("#signed-in")).to_have_text("Signed in as Chen Manager (M1) · manager")
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("tab", name="First contact").click()
    # The window around the simulated clock's day (the browser's calendar is the wall's).
    today = live.clock.now().date()
    window = {"from": (today - timedelta(days=1)).isoformat(),
              "to": (today + timedelta(days=1)).isoformat()}
    page.get_by_label("From").fill(window["from"])
    page.get_by_label("To").fill(window["to"])
    page.get_by_role("button", name="Show").click()
    chart = page.locator("#report-chart svg.chart")
    expect(chart.locator("g.bar")).to_have_count(1)
    api = live.call("GET", "/api/v1/reports/first-contact", "manager", params=window).json()
    [group] = api["groups"]
    bar = chart.locator("g.bar")
    expect(bar).to_have_count(1)
    assert float(bar.first.get_attribute("data-value")) == group["rate"] == 1.0
    assert "100.0 %" in bar.first.text_content()
    assert spot["number"] in page.locator("#report-output table").first.inner_text()
    screenshot(page, "reports-first-contact")

    with page.expect_download() as downloaded:
        page.get_by_role("button", name="Download CSV").click()
    download = downloaded.value
    assert download.suggested_filename == "first-contact.csv"
    expected = live.call("GET", "/api/v1/reports/first-contact", "manager",
                         params={**window, "format": "csv"}).content
    with open(download.path(), "rb") as file:
        assert file.read() == expected

    # Timeliness and the KPI are charted too: a bar per group with a figure.
    page.get_by_role("tab", name="Timeliness").click()
    page.get_by_label("From").fill(window["from"])
    page.get_by_label("To").fill(window["to"])
    page.get_by_role("button", name="Show").click()
    timeliness = live.call("GET", "/api/v1/reports/timeliness", "manager",
                           params={**window, "group_by": "department"}).json()
    rated = [g for g in timeliness["groups"] if g["on_time_rate"] is not None]
    assert rated
    expect(page.locator("#report-chart g.bar")).to_have_count(len(rated))
    page.get_by_role("tab", name="KPI").click()
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_label("Month", exact=True).fill(str(today.month))
    page.get_by_role("button", name="Show").click()
    kpi = live.call("GET", "/api/v1/reports/kpi", "manager",
                    params={"year": today.year, "month": today.month}).json()
    expect(page.locator("#report-chart g.bar")).to_have_count(len(kpi["departments"]))
    screenshot(page, "reports-kpi-chart")
    assert page.problems == []  # type: ignore[attr-defined]
