"""Form patterns: read as ECMA-262, matched in time linear in the text (issue 13).

regress reads ECMA-262 exactly but backtracks; the patterns are rewritten for RE2. The
rewriting is checked against regress itself, pattern by pattern, on every short text
over an alphabet of the characters where ECMA-262 and other dialects part ways.
"""
from __future__ import annotations

from itertools import product

import pytest
import regress

from engine.definitions.forms import FormValidationError, schema_problems, validate_form_data
from engine.definitions.patterns import PatternRefused, ecma_pattern

ALPHABET = ["a", "b", "A", "1", "_", "-", " ", "\n", "\r", "\t", "\x0b", "\x00", "\u00a0",
            "\u2028", "\ufeff", "\u180e", "\u0085", "é", "😀", "{", "}", "]", "\\", "/"]
TEXTS = ["", *ALPHABET, *("".join(pair) for pair in product(ALPHABET, repeat=2)),
         "aaa", "aab", "abab", "a{,2}", "ab\n", "\na", "1-a", "AAAA", "😀😀😀"]

PATTERNS = [
    "", "a", "^a$", "^a|b$", "^(a|b)+$", "^[a-b]*$", "^[^a]$", "^.$", "^..$", "^.*$",
    r"^\s$", r"^\S+$", r"^\d$", r"^\D$", r"^\w+$", r"^\W$", r"\bA", r"a\B", r"\b",
    r"^[\d-a]$", r"^[a-\d]$", "^[a-]$", "^[-a]$", "^[a-b-_]$", "^[]$", "^[^]$", "^[^]{2}$",
    "^{$", "^a{,2}$", "^}$", "^]$", r"^\-$", r"^[\b]$", r"^\cJ$", r"^[\c_]$", r"^[\c1]$",
    r"^\0$", r"^[\0]$", r"^\x41$", r"^\u00e9$", r"^\u{1F600}$", r"^\uD83D\uDE00$",
    "^[😀a]$", "^(?:a|)b?$", "^(?<n>a)+$", "^a{1,2}?$", "^a{2}$", "^a{0}$", "^a{2,}$",
    r"^[\s\d]$", r"^[^\s\d]$", r"^[\W]$", r"^[\S]$", "^$", "é", r"\/", r"^\\$", r"^[\]]$",
    r"^[\\-a]$", "^[é-😀]$", r"^\{\}$", "^(a+)+$", "a*a*b", "(a|ab)(c|bcd)?",
    r"^1(3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9])[0-9]{8}$",
    "^[A-Za-z0-9_.-]+$",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?$",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_patterns_match_as_ecma_262_reads_them(pattern):
    reference = regress.Regex(pattern)
    rewritten = ecma_pattern(pattern)
    differ = [text for text in TEXTS
              if rewritten.search(text) != (reference.find(text) is not None)]
    assert differ == [], f"{pattern!r} rewritten as {rewritten.rewritten!r}"


def test_catastrophic_patterns_are_matched_not_backtracked():
    """`^(a+)+$` took regress 7 s on 28 "a"s and a "!", twice that per "a" more; here
    every text gets its answer (a pytest run that hangs is the failure)."""
    nested = ecma_pattern("^(a+)+$")
    assert nested.search("a" * 40 + "!") is False
    assert nested.search("a" * 100_000) is True
    assert ecma_pattern("(a|a)*b").search("a" * 100_000) is False
    assert ecma_pattern("a*a*a*a*a*b").search("a" * 100_000) is False


def test_a_form_with_a_nested_quantifier_checks_its_field():
    form = {"type": "object", "properties": {"code": {"type": "string",
                                                      "pattern": "^(a+)+$"}}}
    assert schema_problems(form) == ()
    with pytest.raises(FormValidationError) as caught:
        validate_form_data("codes.json", form, {"code": "a" * 40 + "!"})
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("code", "does not match ^(a+)+$")]
    validate_form_data("codes.json", form, {"code": "a" * 40})


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"^(a)\1$", "backreferences"),
    (r"^(?<x>a)\k<x>$", "named backreferences"),
    ("^(?=a)a$", "lookahead or lookbehind"),
    ("^(?!a)b$", "lookahead or lookbehind"),
    ("(?<=a)b", "lookahead or lookbehind"),
    ("(?<!a)b", "lookahead or lookbehind"),
    (r"^\012$", "legacy octal"),
    (r"^\p{L}$", "property escapes"),
    (r"^\z$", "not an escape in ECMA-262"),
    ("^(?i:a)$", "inline modifier"),
    ("^a{1001}$", "counts above 1000"),
    ("^(a{1000}){1000}$", "too large"),
    (r"^\uD800$", "cannot occur in text"),
    ("^(a$", "not a regular expression"),
    ("a" * 1001, "longer than 1000 characters"),
])
def test_what_cannot_be_bounded_or_is_not_ecma_262_is_refused(pattern, reason):
    with pytest.raises(PatternRefused, match=reason):
        ecma_pattern(pattern)
    [problem] = schema_problems({"properties": {"code": {"pattern": pattern}}})
    assert problem.pointer == "/properties/code/pattern"
    assert reason in problem.message


def test_patterns_under_property_names_are_matched_the_same_way():
    form = {"type": "object", "propertyNames": {"pattern": "^(a+)+$"}}
    with pytest.raises(FormValidationError):
        validate_form_data("names.json", form, {"a" * 40 + "!": 1})


def test_pattern_properties_are_refused_at_deploy_and_not_run_if_deployed_before():
    """jsonschema matches patternProperties (and additionalProperties next to them) with
    Python's backtracking re."""
    form = {"type": "object", "patternProperties": {"^(a+)+$": {"type": "string"}},
            "additionalProperties": False}
    [problem] = schema_problems(form)
    assert problem.pointer == "/patternProperties"
    with pytest.raises(FormValidationError) as caught:
        validate_form_data("old.json", form, {"a" * 40 + "!": "x"})
    assert caught.value.errors[0].field == "(form)"
    assert "patternProperties" in caught.value.errors[0].message


def test_text_with_a_lone_surrogate_is_matched_not_a_crash():
    assert ecma_pattern("^.$").search("\ud800") is True
    assert ecma_pattern("^a$").search("\ud800") is False


@pytest.mark.parametrize("pattern", [r"^\cJ$", "^[^]$", r"^\u{1F600}$", "^a{,2}$", r"^[\c_]$"])
def test_ecma_262_that_python_would_not_compile_deploys(pattern):
    """The metaschema's "regex" format would have compiled these with Python's re."""
    assert schema_problems({"properties": {"code": {"pattern": pattern}}}) == ()
