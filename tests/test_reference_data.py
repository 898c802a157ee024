"""The reference data a designer edits (data/): read strictly, with errors that say where."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from engine.reference.categories import Categories, CategoriesInvalid
from engine.reference.directory import MANAGEMENT, Directory, DirectoryInvalid
from engine.reference.settings import Settings, SettingsInvalid
from engine.runtime.sandbox import format_duration, scaled_duration
from tests.conftest import ROOT

DATA = ROOT / "data"


def test_the_shipped_reference_data_loads():
    categories = Categories.load(DATA / "categories.json")
    assert len(categories) >= 30 and len(categories.tree()) >= 3
    directory = Directory.load(DATA / "departments.json")
    assert directory.supervisor_of("billing") == "operations_supervisors"
    assert directory.supervisor_of("operations_supervisors") == MANAGEMENT
    assert directory.supervisor_of("not_in_the_directory") == MANAGEMENT
    settings = Settings.load(DATA / "settings.json").work_orders
    assert (settings.number_prefix, str(settings.time_zone)) == ("WO", "Asia/Shanghai")


def test_a_category_requires_its_key_fields():
    categories = Categories.load(DATA / "categories.json")
    category = categories.get("ring_back_tone/copy_failed/platform_fault")
    schema = categories.key_field_schema(category)
    assert schema["required"] == ["tone_code", "operation_time"]
    assert schema["additionalProperties"] is False
    assert categories.get("ring_back_tone/copy_failed") is None


def tree(**cause) -> dict:
    return {"fields": {"imei": {"type": "string"}}, "businesses": [
        {"id": "terminal", "phenomena": [
            {"id": "fault", "causes": [{"id": "screen", **cause}]}]}]}


@pytest.mark.parametrize(("document", "message"), [
    ([], "expected"),
    ({"businesses": []}, "needs a non-empty list of businesses"),
    (tree(key_fields=["colour"]), "terminal/fault/screen names undefined key fields"),
    ({**tree(), "fields": {"imei": {"type": "nonsense"}}}, "field 'imei' is not a valid"),
    ({"businesses": [{"id": "Terminal!", "phenomena": []}]}, "Terminal!: an id is"),
    ({"businesses": [{"id": "a", "phenomena": [{"id": "b", "causes": [{"id": "c"}]}]},
                     {"id": "a", "phenomena": [{"id": "b", "causes": [{"id": "c"}]}]}]},
     "a appears twice"),
    ({"businesses": [{"id": "a", "phenomena": [{"id": "b"}]}]}, "a/b needs a non-empty list"),
])
def test_a_malformed_category_tree_says_where(document, message):
    with pytest.raises(CategoriesInvalid, match=message.replace("(", r"\(")):
        Categories.from_document(document)


@pytest.mark.parametrize(("document", "message"), [
    ({"departments": {}}, "expected"),
    ({"departments": [{"id": "a b"}]}, r"departments\[0\]: needs an id"),
    ({"departments": [{"id": "a"}, {"id": "a"}]}, "appears twice"),
    ({"departments": [{"id": "a", "supervisor": "boss"}]}, "'boss' is not a department"),
])
def test_a_malformed_directory_says_where(document, message):
    with pytest.raises(DirectoryInvalid, match=message):
        Directory.from_document(document)


def test_unreadable_files_are_named(tmp_path: Path):
    (tmp_path / "departments.json").write_text("{oops", encoding="utf-8")
    with pytest.raises(DirectoryInvalid, match=r"departments\.json"):
        Directory.load(tmp_path / "departments.json")
    with pytest.raises(CategoriesInvalid, match=r"categories\.json"):
        Categories.load(tmp_path / "categories.json")


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "P0D"), (-5, "P0D"), (7.5, "PT7.5S"), (225, "PT3M45S"), (4500, "PT1H15M"),
    (86400, "P1D"), (90061, "P1DT1H1M1S"), (0.000001, "PT0.000001S"),
])
def test_durations_are_written_the_shortest_way(seconds, text):
    assert format_duration(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("factor", [0, -1, True, "2", None])
def test_a_limit_factor_must_be_a_positive_number(factor):
    with pytest.raises(ValueError, match="positive number"):
        scaled_duration("PT1H", factor)
    assert scaled_duration("PT2H", 0.25) == timedelta(minutes=30)


@pytest.mark.parametrize(("document", "message"), [
    ({"assessment": {"liable_events": "stage_overdue"}}, "liable_events: expected a list"),
    ({"assessment": {"ceiling": 12.7}}, "ceiling: 12.7 is not a whole number"),
    ({"assessment": {"time_zone": "Mars/Olympus"}}, "is not a time zone"),
    ({"work_orders": {"number_prefix": "W O"}}, "number_prefix"),
    ({"work_orders": {"urge_min_interval": "ten minutes"}}, "urge_min_interval"),
    ({"hotspots": {"rules": [{"name": "a", "threshold": 5, "window": "PT1H"},
                             {"name": "a", "threshold": 6, "window": "PT2H"}]}},
     "two rules have the same name"),
    ({"hotspots": {"rules": [{"name": "a", "threshold": 1, "window": "PT1H"}]}},
     "threshold must be a whole number of at least 2"),
    ({"hotspots": {"rules": [{"name": "a", "threshold": 5, "window": "P1M"}]}},
     "is not an ISO 8601 duration"),
    ({"repeats": {"window": "P0D"}}, r"repeats\.window: must be longer than zero"),
    ({"repeats": {"same_business": "yes"}}, r"repeats\.same_business: expected true or"),
    ({"repeats": {"notify_supervisor_at": 0}}, "notify_supervisor_at: must be at least 1"),
    ({"upgrades": {"channels": ["Regulator!"]}}, r"upgrades\.channels: expected a list"),
    ({"upgrades": {"liable_causes": [{"code": "a"}, {"code": "a"}]}}, "a code appears twice"),
    ({"upgrades": {"liable_causes": [{"name": "no code"}]}},
     r"upgrades\.liable_causes\[0\]: needs a code"),
    ({"problem_analysis": {"pareto_share": 1.5}}, "pareto_share: is a share from 0 to 1"),
    ({"assessment": {"major_complaint_deduction": -1}}, "major_complaint_deduction"),
    ({"first_contact": {"not_first_time_events": []}}, "not_first_time_events: expected"),
])
def test_malformed_settings_say_where(document, message):
    with pytest.raises(SettingsInvalid, match=message):
        Settings.from_document(document)


def test_settings_name_only_categories_and_departments_that_exist():
    settings = Settings.from_document({"hotspots": {"rules": [
        {"name": "a", "category": "astrology", "threshold": 5, "window": "PT1H"},
        {"name": "b", "keywords": ["x"], "department": "nobody", "threshold": 5,
         "window": "PT1H"},
        {"name": "c", "category": "network/no_signal", "threshold": 5, "window": "PT1H"}]}})
    problems = settings.problems(Categories.load(DATA / "categories.json"),
                                 Directory.load(DATA / "departments.json"))
    assert problems == ["hotspots rule 'a': no category is 'astrology' or under it",
                        "hotspots rule 'b': 'nobody' is not a department"]
    assert Settings.load(DATA / "settings.json").problems(
        Categories.load(DATA / "categories.json"), Directory.load(DATA / "departments.json")) == []
