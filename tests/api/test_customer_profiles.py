"""Customer profiles (issue 15): tier, handling guidance and sensitivity markers per
customer number, kept across orders with their history, changed by the acceptance
departments, shown on the order."""
from __future__ import annotations

from datetime import timedelta

from tests.api.conftest import ORDER, work
from tests.api.people import person
from tests.orders import FORM_DATA

PHONE = ORDER["customer_phone"]


def _put(client, as_: str, phone: str = PHONE, expect: int = 200, **body) -> dict:
    response = client.call("PUT", f"/api/v1/customers/{phone}/profile", as_, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_the_acceptance_department_keeps_a_profile_with_its_history(client, api_clock):
    person(client, "H1", ["handler"], ["front_desk"])
    assert client.get(f"/api/v1/customers/{PHONE}/profile", "front_desk").status_code == 404
    created = _put(client, "H1", tier="special_care", markers=["media_threat"],
                   guidance="Call back within the hour; the duty manager signs replies.")
    assert (created["tier"], created["markers"], created["updated_by"],
            created["department"]) == ("special_care", ["media_threat"], "H1", "front_desk")
    api_clock.advance(timedelta(hours=1))
    changed = _put(client, "front_desk", markers=["media_threat", "repeat_complainant"])
    assert changed["tier"] == "special_care" and changed["guidance"].startswith("Call back")
    _put(client, "front_desk", markers=["repeat_complainant", "media_threat"])  # no change
    history = client.get(f"/api/v1/customers/{PHONE}/profile/history", "manager").get_json()
    assert [(h["by"], sorted(h["changes"])) for h in history] == [
        ("H1", ["guidance", "markers", "tier"]), ("front_desk", ["markers"])]
    assert history[1]["changes"]["markers"] == {
        "before": ["media_threat"], "after": ["media_threat", "repeat_complainant"]}
    assert history[0]["changes"]["tier"] == {"before": None, "after": "special_care"}


def test_bad_profiles_are_refused_with_their_fields(client):
    refused = _put(client, "front_desk", expect=422, tier="gold", markers=["rich"])
    assert sorted(e["field"] for e in refused["errors"]) == ["body.markers.0", "body.tier"]
    refused = _put(client, "front_desk", phone="01012345678", expect=422, tier="vip")
    assert [e["field"] for e in refused["errors"]] == ["body.phone"]
    assert client.get(f"/api/v1/customers/{PHONE}/profile/history",
                      "front_desk").get_json() == []


def test_only_the_acceptance_departments_change_profiles(client):
    _put(client, "network_ops", expect=403, tier="vip")
    assert client.call("PUT", f"/api/v1/customers/{PHONE}/profile", "crm",
                       json={"tier": "vip"}).status_code == 403
    assert client.get(f"/api/v1/customers/{PHONE}/profile", "network_ops").status_code == 403
    _put(client, "admin", tier="vip")
    assert client.get(f"/api/v1/customers/{PHONE}/profile", "manager").get_json()[
        "tier"] == "vip"


def test_the_profile_is_shown_on_the_order_but_not_to_integrators(client):
    number = client.submit()["number"]
    assert client.order(number)["customer_profile"] is None
    _put(client, "front_desk", tier="vip", guidance="Green channel.", markers=["vulnerable"])
    work(client, number, "front_desk", FORM_DATA["dispatch.json"])
    for who in ("front_desk", "network_ops", "manager"):
        profile = client.order(number, who)["customer_profile"]
        assert (profile["tier"], profile["guidance"], profile["markers"]) == (
            "vip", "Green channel.", ["vulnerable"]), who
    assert client.order(number, "crm")["customer_profile"] is None
