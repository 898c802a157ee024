"""Intake in the console, in a real browser: the category picked by searching the tree,
the start form and the category's key fields, the server's errors on their fields,
the customer's recent orders as the number is typed; then the order in Chinese."""
from __future__ import annotations

from tests.console.conftest import screenshot, sign_in


def test_an_acceptance_department_opens_an_order_from_the_console(live, page):
    earlier = live.submit(customer_phone="13912345678")["number"]
    sign_in(page, live, "front_desk")
    page.get_by_role("link", name="New order").click()
    page.get_by_label("Search categories").fill("base station")
    page.get_by_label("Category", exact=True).select_option("network/no_signal/base_station")
    page.get_by_label("Customer phone").wait_for()
    # The start form minus what intake sets itself; the category's key fields.
    assert page.locator('[data-field="processing_department"]').count() == 0
    assert page.locator('[data-field="acceptance_department"]').count() == 0
    assert page.locator('[data-field="location"]').count() == 1

    page.get_by_label("Customer phone").fill("12345")
    page.get_by_label("Content").fill("No signal at home since Monday.")
    page.get_by_label("Channel").select_option("hotline")
    page.get_by_role("button", name="Submit order").click()
    phone_error = page.locator('[data-field="customer_phone"] .field-error')
    phone_error.wait_for()
    assert "mobile" in phone_error.inner_text()
    location_error = page.locator('[data-field="location"] .field-error')
    assert location_error.is_visible()
    screenshot(page, "intake-errors")

    page.get_by_label("Customer phone").fill("13912345678")
    recent = page.locator(".recent table")
    recent.wait_for()
    assert earlier in recent.inner_text()
    page.locator('[data-field="location"] input').fill("Xihu district, Hangzhou")
    page.locator('[data-field="occurred_at"] input').fill("2026-03-01")
    page.get_by_role("button", name="Submit order").click()
    created = page.locator("#created-order")
    created.wait_for()
    number = created.inner_text()
    assert number != earlier
    assert not page.locator('[data-field="customer_phone"] .field-error').is_visible()
    screenshot(page, "intake")
    order = live.call("GET", f"/api/v1/work-orders/{number}", "manager").json()
    assert (order["category"], order["acceptance_department"], order["customer_phone"]) == (
        "network/no_signal/base_station", "front_desk", "13912345678")
    assert order["key_fields"] == {"location": "Xihu district, Hangzhou",
                                   "occurred_at": "2026-03-01"}

    # The same order in Chinese: the interface's words and the data's Chinese names.
    created.click()
    page.get_by_role("heading", name=f"Order {number}").wait_for()
    page.get_by_label("Language").select_option("zh")
    page.get_by_role("heading", name=f"工单 {number}").wait_for()
    assert page.get_by_role("link", name="待办", exact=True).is_visible()
    facts = page.locator(".order-header .facts").inner_text()
    assert "网络" in facts and "Network" not in facts
    assert "一般" in facts and "热线" in facts  # normal urgency, the hotline channel
    assert "null" not in page.locator("main").inner_text()
    screenshot(page, "order-zh")
    assert page.problems == []


def test_every_control_has_a_label(live, page):
    """Accessibility: each input, select and textarea of every screen is named."""
    live.submit()
    for who, screens in (("front_desk", ("inbox", "intake")), ("manager", ("reports",)),
                         ("designer", ("design",))):
        sign_in(page, live, who)
        for screen in screens:
            page.goto(f"{live.base}/console/#/{screen}")
            page.locator("main h2").wait_for()
            page.wait_for_load_state("networkidle")
            unnamed = page.evaluate("""() => [...document.querySelectorAll(
                'main input, main select, main textarea')].filter((control) =>
                !control.labels?.length && !control.getAttribute('aria-label'))
                .map((control) => control.outerHTML)""")
            assert unnamed == [], (screen, unnamed)
        page.get_by_role("button", name="Sign out").click()
    assert page.problems == []
