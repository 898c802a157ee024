"""Subscriptions over HTTP (who may, what is checked, the secret shown once) and the
event feed (ordered, paged, filtered, each integrator its own orders only)."""
from __future__ import annotations

from tests.api.conftest import TO_NETWORK, work
from tests.api.webhook_helpers import allow_loopback, subscribe

PUBLIC_IP = "https://93.184.216.34/hooks"


def fields(problem) -> list[str]:
    return [error["field"] for error in problem["errors"]]


def test_a_subscription_is_checked_and_its_secret_shown_once(client, app):
    created = subscribe(client, PUBLIC_IP, ["order_submitted", "stage_overdue"],
                        flow="one_department", description="CRM")
    assert created["secret"].startswith("whsec_")
    assert (created["own_orders_only"], created["state"], created["owner"]) == (
        True, "active", "crm")
    shown = client.get(f"/api/v1/subscriptions/{created['id']}", "crm").get_json()
    assert "secret" not in shown and shown["event_types"] == ["order_submitted",
                                                              "stage_overdue"]
    listed = client.get("/api/v1/subscriptions", "crm").get_json()["items"]
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]
    # Another integrator neither sees nor deletes it; an administrator sees all.
    assert client.get(f"/api/v1/subscriptions/{created['id']}", "hotline").status_code == 404
    assert client.get("/api/v1/subscriptions", "hotline").get_json()["items"] == []
    assert client.call("DELETE", f"/api/v1/subscriptions/{created['id']}",
                       "hotline").status_code == 404
    assert [s["id"] for s in client.get("/api/v1/subscriptions",
                                        "admin").get_json()["items"]] == [created["id"]]
    # Departments and managers do not subscribe.
    for who in ("front_desk", "manager", "designer"):
        assert client.post("/api/v1/subscriptions", who, json={}).status_code == 403
    assert client.call("DELETE", f"/api/v1/subscriptions/{created['id']}",
                       "crm").status_code == 204
    assert client.get(f"/api/v1/subscriptions/{created['id']}", "crm").status_code == 404


def test_every_bad_field_is_named_and_nothing_is_stored(client, app):
    problem = subscribe(client, "ftp://crm.example.com/x", ["order_submitted", "nonsense"],
                        expect=422, flow="no_such_flow", acceptance_department="nobody")
    assert fields(problem) == ["body.url", "body.event_types.1", "body.flow",
                               "body.acceptance_department"]
    assert client.get("/api/v1/subscriptions", "crm").get_json()["items"] == []
    assert fields(subscribe(client, PUBLIC_IP, [], expect=422)) == ["body.event_types"]
    assert fields(subscribe(client, PUBLIC_IP, ["urged"], expect=422, extra=1)) == [
        "body.extra"]


def test_urls_into_the_engines_own_network_are_refused(client, app):
    """SSRF: loopback only where the deployment allows it; link-local (cloud metadata),
    private networks, credentials in the URL never by default."""
    refused = {
        "http://127.0.0.1:8080/hooks": "loopback",
        "http://[::1]/hooks": "loopback",
        "http://169.254.169.254/latest/meta-data": "link-local",
        "http://10.1.2.3/hooks": "private",
        "http://192.168.0.10/hooks": "private",
        "http://[::ffff:127.0.0.1]/hooks": "loopback",
        "http://0.0.0.0/hooks": "reserved",
        "https://user:pw@93.184.216.34/hooks": "user name or password",
        "javascript:alert(1)": "https://",
        "https://no-such-host.invalid/hooks": "does not resolve",
    }
    for url, why in refused.items():
        problem = subscribe(client, url, ["urged"], expect=422)
        assert fields(problem) == ["body.url"], url
        assert why in problem["errors"][0]["message"], (url, problem)
    allow_loopback(app)
    subscribe(client, "http://127.0.0.1:8080/hooks", ["urged"])
    problem = subscribe(client, "http://169.254.169.254/latest", ["urged"], expect=422)
    assert "link-local" in problem["errors"][0]["message"]


def test_the_feed_is_ordered_paged_and_shows_each_integrator_its_own_orders(client, app):
    mine = client.submit(as_="crm")["number"]
    theirs = client.submit(as_="hotline")["number"]
    work(client, mine, "front_desk", TO_NETWORK, stage="dispatch")

    def feed(who, **query):
        response = client.get("/api/v1/events", who, query_string=query)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    everything = feed("crm")["items"]
    assert {e["data"]["order"] for e in everything} == {mine}
    assert [e["type"] for e in everything] == ["order_submitted", "stage_opened",
                                               "stage_opened"]
    assert {e["data"]["order"] for e in feed("hotline")["items"]} == {theirs}
    assert {e["data"]["order"] for e in feed("manager")["items"]} == {mine, theirs}
    # Paged by the last event id seen.
    first = feed("crm", limit=2)
    assert first["has_more"] and len(first["items"]) == 2
    rest = feed("crm", after=first["next_after"])
    assert first["items"] + rest["items"] == everything and not rest["has_more"]
    assert feed("crm", after=rest["next_after"]) == {"items": [], "has_more": False,
                                                     "next_after": rest["next_after"]}
    assert [e["type"] for e in feed("crm", type="stage_opened")["items"]] == [
        "stage_opened", "stage_opened"]
    assert feed("crm", flow="two_department_relay")["items"] == []
    bad = client.get("/api/v1/events", "crm", query_string={"after": -1, "limit": 0})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"query.after", "query.limit"}
    assert client.get("/api/v1/events", "front_desk").status_code == 403
    types = client.get("/api/v1/events/types", "crm").get_json()["items"]
    assert "order_submitted" in [t["type"] for t in types]


def test_redelivery_of_one_event_or_a_range(client, app):
    from tests.api.webhook_helpers import deliver_all
    from tests.receivers import Receiver

    integrations = allow_loopback(app)
    receiver = Receiver().start()
    try:
        created = subscribe(client, receiver.url, ["order_submitted", "stage_opened"])
        client.submit()
        deliver_all(integrations)
        first, second = (r.json["event_id"] for r in receiver.received)
        path = f"/api/v1/subscriptions/{created['id']}/redeliver"
        assert client.post(path, "crm", json={"from_event_id": second}).get_json() == {
            "requeued": 1}
        deliver_all(integrations)
        assert client.post(path, "crm", json={"from_event_id": first,
                                              "to_event_id": second}).get_json() == {
            "requeued": 2}
        deliver_all(integrations)
        assert [r.json["event_id"] for r in receiver.received] == [
            first, second, second, first, second]
        bad = client.post(path, "crm", json={"from_event_id": second, "to_event_id": first})
        assert fields(bad.get_json()) == ["body.to_event_id"]
        assert client.post(path, "hotline", json={"from_event_id": 1}).status_code == 404
    finally:
        receiver.close()
