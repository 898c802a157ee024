"""data/people.json (issue 15) is checked at load: an error names the file and field."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from engine.people.settings import PeopleSettings, PeopleSettingsInvalid
from tests.conftest import ROOT


def test_the_shipped_file_loads_with_its_rules():
    settings = PeopleSettings.load(ROOT / "data" / "people.json")
    assert settings.session_lifetime == timedelta(hours=1)
    assert (settings.lockout_failures, settings.lockout_duration) == (5, timedelta(minutes=15))
    assert settings.contact_every == timedelta(hours=24)
    assert "image/png" in settings.attachment_types
    assert settings.refund_audit_threshold == Decimal("100")
    assert settings.audit_before_stages == ("feedback",)


@pytest.mark.parametrize(("document", "where"), [
    ({"sessions": {"lifetime": "an hour"}}, "sessions.lifetime"),
    ({"sessions": {"lifetime": "PT0S"}}, "sessions.lifetime"),
    ({"lockout": {"failures": 0}}, "lockout.failures"),
    ({"lockout": []}, "lockout"),
    ({"passwords": {"min_length": 4}}, "passwords.min_length"),
    ({"attachments": {"types": ["text/html"]}}, "attachments.types"),
    ({"attachments": {"max_bytes": True}}, "attachments.max_bytes"),
    ({"customer_profiles": {"markers": ["Media Threat"]}}, "customer_profiles.markers"),
    ({"remedies": {"refund_audit_threshold": -5}}, "remedies.refund_audit_threshold"),
    ({"remedies": {"audit_before_stages": "feedback"}}, "remedies.audit_before_stages"),
])
def test_a_bad_value_is_refused_naming_file_and_field(document, where):
    with pytest.raises(PeopleSettingsInvalid) as refused:
        PeopleSettings.from_document(document, "data/people.json")
    assert str(refused.value).startswith(f"data/people.json: {where}")


def test_left_out_rules_keep_their_defaults(tmp_path):
    assert PeopleSettings.load(tmp_path / "absent.json") == PeopleSettings()
    assert PeopleSettings.from_document({}).contact_every is None
