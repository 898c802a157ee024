"""Code lists of data/ (the liable causes): read strictly, each error naming the file
and the entry; a form field naming a list takes only its codes."""
from __future__ import annotations

import json

import pytest

from engine.definitions.forms import FormValidationError
from engine.reference.code_lists import CodeList, CodeListInvalid, load_code_lists
from engine.runtime.form_data import check_form_data
from tests.conftest import ROOT

FORM = {"type": "object", "properties": {
    "cause": {"type": "string", "x-code-list": "liable_causes"},
    "note": {"type": "string"}}}


def test_the_shipped_liable_causes_load():
    causes = load_code_lists(ROOT / "data")["liable_causes"]
    codes = [entry.code for entry in causes]
    assert len(codes) >= 5 and len(codes) == len(set(codes))
    assert causes.name_of("network_fault") and "network_fault" in causes
    assert "bad_luck" not in causes


@pytest.mark.parametrize(("entries", "where"), [
    ([], "at least one entry"),
    ([{"code": "a b", "name": "A"}], "causes[0].code"),
    ([{"code": "a", "name": ""}], "causes[0].name"),
    ([{"code": "a", "name": "A"}, {"code": "a", "name": "Again"}], "causes[1].code: 'a' "
                                                                    "appears twice"),
    (["a"], "causes[0]: expected"),
])
def test_a_malformed_list_names_the_file_and_entry(tmp_path, entries, where):
    path = tmp_path / "liable_causes.json"
    path.write_text(json.dumps({"causes": entries}), encoding="utf-8")
    with pytest.raises(CodeListInvalid) as caught:
        CodeList.load(path, "causes")
    assert str(path) in str(caught.value) and where in str(caught.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CodeListInvalid, match=r"liable_causes\.json"):
        load_code_lists(tmp_path)


def test_a_field_naming_a_list_takes_only_its_codes():
    lists = load_code_lists(ROOT / "data")
    check_form_data("f", FORM, {"cause": "billing_error", "note": "x"}, None, lists)
    check_form_data("f", FORM, {"note": "absent is the schema's business"}, None, lists)
    with pytest.raises(FormValidationError) as caught:
        check_form_data("f", FORM, {"cause": "bad_luck"}, None, lists)
    assert [e.field for e in caught.value.errors] == ["cause"]
    with pytest.raises(FormValidationError, match="which data/ does not have"):
        check_form_data("f", FORM, {"cause": "billing_error"}, None, {})
    # Without lists (an engine built without them) any code goes.
    check_form_data("f", FORM, {"cause": "bad_luck"}, None, None)
