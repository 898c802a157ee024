"""A department's day in the console, in a real browser: the inbox, an order through its
stage form (a field error shown on its field, then fixed), the diagram with the order's
run, and an order going overdue on the simulated clock and turning red."""
from __future__ import annotations

import json
from datetime import timedelta

from playwright.sync_api import expect

from tests.conftest import FORMS
from tests.console.conftest import screenshot, sign_in

HOSTILE = '<img src=x onerror="window.__owned=1">Still no signal <b>at all</b>'


def test_a_department_takes_an_order_through_its_stage_form(live, page):
    order = live.submit(content=HOSTILE)
    number = order["number"]

    sign_in(page, live, "front_desk")
    row = page.locator(f'tr[data-order="{number}"]')
    row.wait_for()
    assert "Dispatch" in row.inner_text()
    screenshot(page, "inbox")

    row.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"Order {number}").wait_for()
    # The complaint is shown as text: nothing in it runs or renders as markup.
    assert page.locator(".content").inner_text() == HOSTILE
    assert page.locator(".content img, .content b").count() == 0
    assert page.evaluate("window.__owned") is None

    page.get_by_role("button", name="Claim").click()
    page.get_by_role("button", name="Release").wait_for()
    # Completing without the department the form requires: the server's error shows
    # on that field.
    page.get_by_role("button", name="Complete stage").click()
    error = page.locator('[data-field="processing_department"] .field-error')
    error.wait_for()
    assert error.inner_text().strip()
    assert page.get_by_label("Processing department").get_attribute("aria-invalid") is not None
    screenshot(page, "order-field-error")

    page.get_by_label("Processing department").select_option("network_operations")
    page.get_by_role("button", name="Complete stage").click()
    page.get_by_text("Done.").wait_for()
    detail = live.call("GET", f"/api/v1/work-orders/{number}", "manager").json()
    assert [s["department"] for s in detail["open_stages"]] == ["network_operations"]

    # The diagram: dispatch done, handle open, the path between them taken.
    page.locator('.diagram[data-ready="true"]').wait_for()
    assert page.locator('.djs-element.stage-done[data-element-id="dispatch"]').count() == 1
    assert page.locator('.djs-element.stage-open[data-element-id="handle"]').count() == 1
    assert page.locator(".djs-connection.flow-taken").count() >= 1
    screenshot(page, "order")

    # The handling stage's limit (2 hours) passes: the lapse is drawn on the diagram.
    live.clock.advance(timedelta(hours=2, minutes=5))
    assert live.fire_timers() > 0
    page.reload()
    page.locator('.diagram[data-ready="true"]').wait_for()
    assert page.locator('.djs-element.stage-lapsed[data-element-id="handle"]').count() == 1
    assert page.locator('.order-header tr.overdue').count() == 1
    assert page.problems == []


def test_the_inbox_sorts_filters_moves_by_keyboard_and_turns_red_when_overdue(live, page):
    normal = live.submit()["number"]
    urgent = live.submit(urgency="urgent")["number"]  # a quarter of every limit
    sign_in(page, live, "front_desk")
    rows = page.locator("tr[data-order]")
    rows.nth(1).wait_for()
    # Soonest due first: the urgent order's dispatch is due in 3m45s, the other's in 15m.
    assert [rows.nth(i).get_attribute("data-order") for i in range(2)] == [urgent, normal]
    assert rows.nth(0).locator("td").nth(2).inner_text() == "urgent"

    page.get_by_label("Urgency").select_option("urgent")
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-order") == urgent
    page.get_by_label("Urgency").select_option("")
    rows.nth(1).wait_for()

    # The screen's heading has the focus; the keys walk the rows from there.
    assert page.evaluate("document.activeElement.tagName") == "H2"
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.dataset.order") == urgent
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.order") == normal
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.dataset.order") == urgent
    assert not page.locator("tr.overdue").count()

    # A stage that arrives shows without a reload (the inbox polls).
    arriving = live.submit()["number"]
    page.locator(f'tr[data-order="{arriving}"]').wait_for(timeout=15_000)

    live.clock.advance(timedelta(minutes=10))
    page.keyboard.press("r")  # or wait for the next poll
    page.locator(f'tr.overdue[data-order="{urgent}"]').wait_for()
    assert page.locator(f'tr[data-order="{urgent}"] .countdown').inner_text().startswith(
        "overdue by 00:06:")
    assert "overdue" not in (page.locator(f'tr[data-order="{normal}"]').get_attribute("class")
                             or "")
    screenshot(page, "inbox-overdue")

    live.clock.advance(timedelta(minutes=10))  # now both; by the poll, not a key
    page.locator(f'tr.overdue[data-order="{normal}"]').wait_for(timeout=15_000)
    page.get_by_label("Overdue only").check()
    expect(page.locator("tr.overdue[data-order]")).to_have_count(3)
    assert page.problems == []


def test_a_processing_department_transfers_an_order_and_the_acceptance_department_urges(
        live, page):
    number = live.submit()["number"]
    [task] = live.call("GET", "/api/v1/tasks", "front_desk",
                       params={"business_key": number}).json()["items"]
    done = live.call("POST", f"/api/v1/tasks/{task['id']}/complete", "front_desk",
                     json={"data": {"processing_department": "network_operations"}})
    assert done.status_code == 200, done.text

    sign_in(page, live, "network_operations")
    page.goto(f"{live.base}/console/#/order/{number}")
    page.locator("summary", has_text="Transfer").click()
    transfer = page.locator("details.action[open]")
    transfer.get_by_label("To department").select_option("billing")
    transfer.get_by_role("button", name="Transfer").click()
    # The reason is required: the API's error shows on the reason field.
    reason_error = transfer.locator('[data-field="reason"] .field-error')
    reason_error.wait_for()
    assert reason_error.inner_text().strip()
    screenshot(page, "order-transfer-error")
    transfer.get_by_label("Reason").fill("A billing dispute, not a fault.")
    transfer.get_by_role("button", name="Transfer").click()
    page.get_by_text("Done.").wait_for()
    order = live.call("GET", f"/api/v1/work-orders/{number}", "manager").json()
    assert order["responsible_departments"] == ["billing"]
    assert order["counts"]["transfers"] == 1

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live, "front_desk")
    page.goto(f"{live.base}/console/#/order/{number}")
    page.locator("summary", has_text="Urge").click()
    urge = page.locator("details.action[open]")
    urge.get_by_label("Note").fill("Customer called again.")
    urge.get_by_role("button", name="Urge").click()
    page.get_by_text("Done.").wait_for()
    assert live.call("GET", f"/api/v1/work-orders/{number}",
                     "manager").json()["counts"]["urges"] == 1
    # A second urge within the minimum interval is refused; the reason is shown.
    page.locator("summary", has_text="Urge").click()
    page.locator("details.action[open]").get_by_role("button", name="Urge").click()
    page.locator("details.action[open] .status.error").wait_for()
    assert page.problems == []


def test_a_designers_form_is_shown_as_text_never_run(live, page):
    """Forms are designers' uploads: untrusted. Their words reach the page as text."""
    form = json.loads((FORMS / "dispatch.json").read_text(encoding="utf-8"))
    form["title"] = '<img src=x onerror="window.__owned=1">Dispatch'
    form["description"] = "<script>window.__owned=2</script>Choose."
    note = form["properties"]["dispatch_note"]
    note["title"] = '<svg onload="window.__owned=3">Note'
    note["description"] = '<a href="javascript:window.__owned=4">help</a>'
    deployed = live.call("POST", "/api/v1/deployments", "designer",
                         files={"files": ("dispatch.json", json.dumps(form).encode())})
    assert deployed.status_code == 201, deployed.text
    number = live.submit()["number"]

    sign_in(page, live, "front_desk")
    page.goto(f"{live.base}/console/#/order/{number}")
    stage_form = page.locator("form.stage-form")
    stage_form.wait_for()
    # The form's texts show verbatim (its title is not shown: the stage's name is).
    assert form["description"] in stage_form.inner_text()
    assert note["title"] in stage_form.locator('[data-field="dispatch_note"] label').inner_text()
    assert note["description"] in stage_form.inner_text()
    assert stage_form.locator("img, script, svg, a").count() == 0
    assert page.evaluate("window.__owned") is None
    assert page.problems == []
