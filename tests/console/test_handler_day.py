"""A department's day in the console, in a real browser: the inbox, an order through its
stage form (a field error shown on its field, then fixed), the diagram with the order's
run, and an order going overdue on the simulated clock and turning red."""
from __future__ import annotations

from datetime import timedelta

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
    assert page.problems == []


def test_an_order_turns_red_in_the_inbox_when_its_stage_goes_overdue(live, page):
    number = live.submit()["number"]
    sign_in(page, live, "front_desk")
    row = page.locator(f'tr[data-order="{number}"]')
    row.wait_for()
    assert "overdue" not in (row.get_attribute("class") or "")
    assert not row.locator(".countdown").inner_text().startswith("overdue")

    live.clock.advance(timedelta(hours=1))  # the dispatch stage's limit is 15 minutes
    page.keyboard.press("r")  # or wait for the next poll
    page.locator(f'tr.overdue[data-order="{number}"]').wait_for()
    assert row.locator(".countdown").inner_text().startswith("overdue by")
    screenshot(page, "inbox-overdue")
    assert page.problems == []
