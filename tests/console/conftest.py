"""The console's tests: the real app on a loopback port (a thread running werkzeug's WSGI
server) whose simulated clock the test moves, and Debian's chromium driven by
Playwright. Screenshots go to tests/console/screenshots/ (git-ignored)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from api import process_engine
from tests.api.conftest import ORDER, build_app, dispose

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Only a developer's machine without a browser sets this; CI never does, so there a
# missing chromium fails the tests instead of skipping them.
NO_BROWSER = os.environ.get("CONSOLE_TESTS_NO_BROWSER") == "1"


class Live:
    """The running app: its base URL, tokens, simulated clock and a requests session."""

    def __init__(self, base: str, tokens: dict[str, str], clock, engine) -> None:
        self.base, self.tokens, self.clock, self.engine = base, tokens, clock, engine
        self.http = requests.Session()

    def call(self, method: str, path: str, who: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.base + path, timeout=30, **kwargs,
                                 headers={"Authorization": f"Bearer {self.tokens[who]}"})

    def fire_timers(self) -> int:
        """What a timer worker would do now (none runs beside this server)."""
        return self.engine.timers.fire_due_timers("console-test-worker")

    def submit(self, **fields) -> dict:
        response = self.call("POST", "/api/v1/work-orders", "crm", json={**ORDER, **fields})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def live(database_url, clock):
    app, tokens = build_app(database_url, clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.server_port}", tokens, clock,
                   process_engine(app))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        dispose(app)


@pytest.fixture(scope="module")
def browser():
    if NO_BROWSER:
        pytest.skip("CONSOLE_TESTS_NO_BROWSER=1: no browser on this machine")
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(viewport={"width": 1366, "height": 768},
                                  accept_downloads=True, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not expected_error(message.text) else None)
    page.problems = problems  # type: ignore[attr-defined]
    yield page
    context.close()


def expected_error(text: str) -> bool:
    """A browser logs every 4xx answer as an error: the tests provoke some on purpose."""
    return text.startswith("Failed to load resource: the server responded with a status of 4")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, live: Live, who: str) -> None:
    """With an API token (integrators, departments): the second way in."""
    page.goto(live.base + "/console/")
    page.locator("summary", has_text="sign in with an access token").click()
    page.get_by_label("Access token").fill(live.tokens[who])
    page.get_by_role("button", name="Use token").click()
    page.get_by_text(f"Signed in as {who}").wait_for()


def log_in(page, live: Live, staff_id: str, password: str, **choices: str) -> None:
    """A person, with staff id and password (and a role to act in, if given)."""
    page.goto(live.base + "/console/")
    page.get_by_label("Staff id").fill(staff_id)
    page.get_by_label("Password").fill(password)
    if choices.get("acting_as"):
        page.locator("summary", has_text="Department or role").click()
        page.get_by_label("Act as").select_option(choices["acting_as"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator("#signed-in", has_text=f"({staff_id})").wait_for()


def hire(live: Live, staff_id: str, name: str, roles: list[str], departments: list[str],
         password: str) -> None:
    response = live.call("POST", "/api/v1/staff", "admin", json={
        "staff_id": staff_id, "name": name, "roles": roles, "departments": departments,
        "password": password})
    assert response.status_code == 201, response.text
