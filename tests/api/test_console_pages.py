"""The console's pages and its two reads, without a browser: what they send (security
headers, no inline script, the vendored files as fetched) and whom they answer."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from api.console import CONTENT_SECURITY_POLICY
from api.console.vendor import PACKAGES, VENDOR_DIR, check_integrity
from tests.api.conftest import TO_NETWORK, work

CONSOLE = Path(__file__).resolve().parents[2] / "api" / "console"


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_the_page_is_served_with_a_policy_that_runs_no_inline_script(client):
    response = client.get("/console/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attributes and not body.strip()
                           for attributes, body in scripts)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


def test_our_scripts_build_no_markup_from_strings():
    """Everything shown goes through textContent or attributes (static/js/dom.js)."""
    for path in (CONSOLE / "static" / "js").glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in source, f"{path.name} uses {sink}"


def test_static_files_carry_the_same_headers(client):
    response = client.get("/console/static/js/main.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["Content-Type"]
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_vendored_files_are_those_the_script_fetched():
    manifest = json.loads((VENDOR_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    assert set(manifest) == {package.name for package in PACKAGES}
    for package in PACKAGES:
        entry = manifest[package.name]
        assert (entry["version"], entry["integrity"]) == (package.version, package.integrity)
        assert set(entry["files"]) == set(package.files)
        assert "LICENSE" in entry["files"]
        for name, digest in entry["files"].items():
            content = (VENDOR_DIR / package.name / name).read_bytes()
            assert hashlib.sha256(content).hexdigest() == digest, name


def test_a_tarball_that_does_not_match_its_integrity_is_refused():
    check_integrity(b"abc", "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/"
                            "uu9RU1EI2Q86A4qmslPpUyknw==")
    with pytest.raises(ValueError, match="integrity mismatch"):
        check_integrity(b"abd", "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/"
                                "BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==")
    with pytest.raises(ValueError, match="unsupported"):
        check_integrity(b"abc", "sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")


def test_the_session_read_needs_a_valid_token(client):
    assert client.get("/console/api/session").status_code == 401
    assert client.get("/console/api/session",
                      headers={"Authorization": "Bearer wo_nonsense"}).status_code == 401
    answer = client.get("/console/api/session", "network_operations")
    assert answer.status_code == 200
    body = answer.json
    assert (body["name"], body["role"], body["department"]) == (
        "network_operations", "department", "network_operations")
    names = {d["id"]: d["name"] for d in body["departments"]}
    assert names["network_operations"] == "Network operations (网络部)"
    assert client.get("/console/api/session", "designer").json["department"] is None


def test_an_orders_diagram_is_shown_to_whom_the_order_is(client):
    number = client.submit()["number"]
    path = f"/console/api/work-orders/{number}/diagram"
    assert client.get(path).status_code == 401
    # Not yet involved, then involved: the same 404 as for no such order, then the XML.
    assert client.get(path, "network_operations").status_code == 404
    assert client.get(path, "billing").status_code == 404
    work(client, number, "front_desk", TO_NETWORK)
    answer = client.get(path, "network_operations")
    assert answer.status_code == 200
    assert answer.mimetype == "application/xml"
    assert b'<bpmn:process id="one_department"' in answer.data
    assert client.get(path, "manager").status_code == 200
    assert client.get(path, "crm").status_code == 200  # the integrator that submitted it
    assert client.get(path, "hotline").status_code == 404  # another integrator
    assert client.get(path, "designer").status_code == 403
    missing = client.get("/console/api/work-orders/WO-20990101-000001/diagram", "manager")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_the_intake_form_is_the_start_form_of_the_flow_the_category_routes_to(client):
    answer = client.get("/console/api/intake-form?category=network/no_signal/base_station",
                        "front_desk")
    assert answer.status_code == 200, answer.json
    assert answer.json["flow"] == "one_department"
    assert answer.json["form"] == "submit.json"
    assert "customer_phone" in answer.json["schema"]["properties"]
    unknown = client.get("/console/api/intake-form?category=no/such/thing", "front_desk")
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json["errors"]] == ["query.category"]
    assert client.get("/console/api/intake-form?category=x", "manager").status_code == 403


def test_a_persons_login_is_a_session_of_the_console_until_logged_out(client):
    from tests.api.people import hire, log_in

    hire(client, "E1001", ["handler", "supervisor"], ["front_desk"], name="王小明")
    log_in(client, "E1001")
    answer = client.get("/console/api/session", "E1001").json
    assert (answer["name"], answer["staff_id"], answer["person_name"], answer["role"],
            answer["department"]) == ("E1001", "E1001", "王小明", "department", "front_desk")
    assert sorted(answer["staff_roles"]) == ["handler", "supervisor"]
    # An API token is no person.
    token = client.get("/console/api/session", "front_desk").json
    assert (token["staff_id"], token["person_name"], token["staff_roles"]) == (None, None, [])
    assert client.call("DELETE", "/api/v1/sessions/current", "E1001").status_code == 204
    assert client.get("/console/api/session", "E1001").status_code == 401


def test_the_choices_of_the_case_work_forms_come_from_the_data_files(client):
    answer = client.get("/console/api/choices", "network_operations").json
    pause_file = json.loads((Path(__file__).resolve().parents[2] / "data" /
                             "pause_reasons.json").read_text(encoding="utf-8"))
    assert answer["pause_reasons"] == pause_file["reasons"]
    settings = json.loads((Path(__file__).resolve().parents[2] / "data" /
                           "settings.json").read_text(encoding="utf-8"))
    assert answer["upgrade_sources"] == settings["upgrades"]["sources"]
    assert [c["code"] for c in answer["liable_causes"]] == [
        c["code"] for c in settings["upgrades"]["liable_causes"]]
    assert client.get("/console/api/choices").status_code == 401
