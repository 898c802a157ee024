"""Form `pattern`s, read as ECMA-262 and matched in time linear in the text.

A backtracking engine (Python's re, or regress, which reads ECMA-262 exactly) takes
exponential time on patterns such as `^(a+)+$`, and polynomial time on `a*a*a*b`: a
designer's typo could hold a write lock for seconds. So a pattern is read in two steps:

1. regress says whether it is valid ECMA-262 at all (as before: the same syntax errors);
2. it is rewritten, construct by construct, into RE2's syntax and matched by RE2
   (google-re2), whose automata take time linear in the text, whatever the pattern.

Every ECMA-262 construct RE2 can express the same way is rewritten with the standard's
meaning spelled out (`.` excludes the four line terminators, `\\s` is the standard's
white space, `$` is the end of the text, never before a final line break, `\\d` and `\\w`
are ASCII); matching is by Unicode code point, as with the `u` flag. What cannot be
matched in linear time (backreferences, lookahead, lookbehind), and the legacy forms a
designer rarely means (`\\1` as an octal escape, `\\z` as the letter z, `\\p{...}` read as
"p{...}" without the `u` flag, inline modifiers), are refused with a reason.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]
import regress

MAX_PATTERN_LENGTH = 1000
MAX_REPETITION = 1000  # RE2's largest {n,m}

_LAST = 0x10FFFF
_DIGITS = ((0x30, 0x39),)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
# ECMA-262 WhiteSpace and LineTerminator: tab, LF, VT, FF, CR, space, NBSP, the Zs
# category, LS, PS and the byte order mark.
_SPACE = ((0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
          (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
          (0xFEFF, 0xFEFF))
_LINE_TERMINATORS = ((0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029))
_CONTROL_ESCAPES = {"t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D}
_QUANTIFIER = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_BRACED_HEX = re.compile(r"\{([0-9A-Fa-f]{1,6})\}")
_GROUP_NAME = re.compile(r"<([^>]+)>")

Ranges = tuple[tuple[int, int], ...]


class PatternRefused(ValueError):
    """A pattern that is not ECMA-262, or that cannot be matched in bounded time."""


@dataclass(frozen=True)
class Pattern:
    source: str
    rewritten: str
    _compiled: Any  # re2's compiled pattern

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in `text` (JSON Schema's `pattern`)."""
        return self._compiled.search(_without_lone_surrogates(text)) is not None


@functools.lru_cache(maxsize=1024)
def ecma_pattern(pattern: str) -> Pattern:
    """`pattern` ready to match; PatternRefused says why it cannot be."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternRefused(f"longer than {MAX_PATTERN_LENGTH} characters")
    if _without_lone_surrogates(pattern) != pattern:
        raise PatternRefused("a lone surrogate: it cannot occur in text")
    try:
        regress.Regex(pattern)
    except regress.RegressError as err:
        raise PatternRefused(f"not a regular expression ({err})") from None
    rewritten = _Rewriter(pattern).rewrite()
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    try:
        compiled = re2.compile(rewritten, options)
    except re2.error as err:
        reason = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else err
        raise PatternRefused(f"too large to match in bounded time ({reason})") from None
    return Pattern(pattern, rewritten, compiled)


def _without_lone_surrogates(text: str) -> str:
    """Text as UTF-8 can carry it: an unpaired surrogate (JSON allows "\\ud800") reads as
    U+FFFD, which matches what a lone surrogate would (`.`, `[^a]`), nothing more."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


class _Rewriter:
    """One pass over a pattern regress accepted, writing RE2 syntax as it goes."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.at = 0
        self.out: list[str] = []

    def refuse(self, what: str, hint: str = "") -> PatternRefused:
        where = f"{what} (at character {self.at + 1})"
        return PatternRefused(f"{where}: {hint}" if hint else where)

    def rewrite(self) -> str:
        pattern = self.pattern
        while self.at < len(pattern):
            char = pattern[self.at]
            if char == "\\":
                self.out.append(self.escape())
                continue
            if char == "[":
                self.out.append(self.character_class())
                continue
            if char == "(":
                self.out.append(self.group())
                continue
            if char == "{" and (quantifier := _QUANTIFIER.match(pattern, self.at)):
                self.out.append(self.repetition(quantifier))
                continue
            if char in ")|*+?":
                self.out.append(char)
            elif char == "^":
                self.out.append("^")
            elif char == "$":
                self.out.append("$")  # RE2, not multi-line: the end of the text only
            elif char == ".":
                self.out.append(_class(_complement(_LINE_TERMINATORS)))
            else:
                self.out.append(_literal(self.code_point(char)))
            self.at += 1
        return "".join(self.out)

    def code_point(self, char: str) -> int:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise self.refuse("a lone surrogate", "it cannot occur in text")
        return ord(char)

    def repetition(self, quantifier: re.Match[str]) -> str:
        low, comma, high = quantifier.groups()
        if int(low) > MAX_REPETITION or (high and int(high) > MAX_REPETITION):
            raise self.refuse(f"the repetition {quantifier.group(0)}",
                              f"counts above {MAX_REPETITION} are not supported")
        self.at = quantifier.end()
        return "{" + str(int(low)) + (comma or "") + (str(int(high)) if high else "") + "}"

    def group(self) -> str:
        pattern, start = self.pattern, self.at
        self.at += 1
        if not pattern.startswith("?", self.at):
            return "(?:"
        if pattern.startswith("?:", self.at):
            self.at += 2
            return "(?:"
        if pattern.startswith(("?=", "?!", "?<=", "?<!"), self.at):
            self.at = start
            raise self.refuse("a lookahead or lookbehind",
                              "it cannot be matched in bounded time")
        if name := _GROUP_NAME.match(pattern, self.at + 1):
            self.at = name.end()
            return "(?:"
        self.at = start
        raise self.refuse("an inline modifier group (?...)", "it is not supported")

    # Escapes --------------------------------------------------------------------------

    def escape(self) -> str:
        """An escape outside a class: an assertion, a class escape or one character."""
        follower = self.pattern[self.at + 1]
        if follower in "bB":
            self.at += 2
            return "\\" + follower  # ASCII word boundaries, in RE2 as in ECMA-262
        if follower == "0" and not self.pattern[self.at + 2:self.at + 3].isdigit():
            self.at += 2
            return _literal(0)
        if follower.isdigit():
            raise self.refuse(f"\\{follower}", "backreferences (and legacy octal escapes) "
                                               "cannot be matched in bounded time")
        if follower == "k":
            raise self.refuse("\\k", "named backreferences cannot be matched in bounded time")
        found = self.class_or_character(in_class=False)
        return _class(found) if isinstance(found, tuple) else _literal(found)

    def class_or_character(self, *, in_class: bool) -> Ranges | int:
        """After a backslash: \\d \\D \\w \\W \\s \\S as ranges, else one code point."""
        pattern = self.pattern
        follower = pattern[self.at + 1]
        self.at += 2
        sets = {"d": _DIGITS, "w": _WORD, "s": _SPACE}
        if follower.lower() in sets:
            ranges = sets[follower.lower()]
            return ranges if follower.islower() else _complement(ranges)
        if follower in _CONTROL_ESCAPES:
            return _CONTROL_ESCAPES[follower]
        if follower == "c":
            letter = pattern[self.at:self.at + 1]
            if letter.isascii() and (letter.isalpha() or (in_class and (
                    letter.isdigit() or letter == "_"))):
                self.at += 1
                return ord(letter) % 32
            self.at -= 2
            raise self.refuse("\\c without a control letter", "write \\\\c for the two "
                                                             "characters")
        if follower == "x":
            if hex_digits := _HEX2.match(pattern, self.at):
                self.at = hex_digits.end()
                return int(hex_digits.group(0), 16)
            self.at -= 2
            raise self.refuse("\\x without two hex digits", "write \\xHH")
        if follower == "u":
            return self.unicode_escape()
        if follower == "0" and in_class and not pattern[self.at:self.at + 1].isdigit():
            return 0
        if follower.isascii() and follower.isalnum():
            self.at -= 2
            if follower in "pP":
                raise self.refuse(f"\\{follower}{{...}}", "Unicode property escapes are not "
                                                          "supported; list the characters")
            raise self.refuse(f"\\{follower}", f"not an escape in ECMA-262 (it would match "
                                               f"the letter or digit itself); write {follower}")
        return self.code_point(follower)  # an escaped punctuation character: itself

    def unicode_escape(self) -> int:
        pattern = self.pattern
        if braced := _BRACED_HEX.match(pattern, self.at):
            value = int(braced.group(1), 16)
            self.at = braced.end()
        elif unit := _HEX4.match(pattern, self.at):
            value = int(unit.group(0), 16)
            self.at = unit.end()
            low = _HEX4.match(pattern, self.at + 2) if pattern.startswith("\\u", self.at) \
                else None
            if 0xD800 <= value <= 0xDBFF and low and 0xDC00 <= int(low.group(0), 16) <= 0xDFFF:
                value = 0x10000 + ((value - 0xD800) << 10) + (int(low.group(0), 16) - 0xDC00)
                self.at = low.end()
        else:
            self.at -= 2
            raise self.refuse("\\u without four hex digits", "write \\uHHHH or \\u{H...}")
        if value > _LAST or 0xD800 <= value <= 0xDFFF:
            self.at -= 1
            raise self.refuse(f"the code point {value:X}", "it cannot occur in text")
        return value

    # Classes ---------------------------------------------------------------------------

    def character_class(self) -> str:
        pattern = self.pattern
        self.at += 1
        negated = pattern.startswith("^", self.at)
        self.at += negated
        ranges: list[tuple[int, int]] = []
        while pattern[self.at] != "]":
            first = self.class_atom()
            if pattern[self.at] == "-" and pattern[self.at + 1] != "]":
                self.at += 1
                last = self.class_atom()
                if isinstance(first, int) and isinstance(last, int):
                    ranges.append((first, last))
                    continue
                ranges.append((0x2D, 0x2D))  # next to a class escape, '-' is itself
                ranges.extend(_as_ranges(last))
            ranges.extend(_as_ranges(first))
        self.at += 1
        merged = _merge(ranges)
        return _class(_complement(merged) if negated else merged)

    def class_atom(self) -> Ranges | int:
        char = self.pattern[self.at]
        if char != "\\":
            self.at += 1
            return self.code_point(char)
        follower = self.pattern[self.at + 1]
        if follower == "b":
            self.at += 2
            return 0x08
        if follower == "-":
            self.at += 2
            return 0x2D
        if follower.isdigit() and not (follower == "0" and not self.pattern[
                self.at + 2:self.at + 3].isdigit()):
            raise self.refuse(f"\\{follower} in a class", "legacy octal escapes are not "
                                                          "supported; write \\xHH")
        if follower == "k":
            raise self.refuse("\\k in a class", "write k")
        return self.class_or_character(in_class=True)


def _as_ranges(found: Ranges | int) -> Ranges:
    return found if isinstance(found, tuple) else ((found, found),)


def _merge(ranges: list[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    gaps, start = [], 0
    for low, high in _merge(list(ranges)):
        if low > start:
            gaps.append((start, low - 1))
        start = high + 1
    if start <= _LAST:
        gaps.append((start, _LAST))
    return tuple(gaps)


def _class(ranges: Ranges) -> str:
    if not ranges:
        return "[^\\x{0}-\\x{10FFFF}]"  # the empty class: matches nothing
    return "[" + "".join(f"\\x{{{low:X}}}" if low == high else
                         f"\\x{{{low:X}}}-\\x{{{high:X}}}" for low, high in ranges) + "]"


def _literal(code_point: int) -> str:
    char = chr(code_point)
    return char if char.isascii() and char.isalnum() else f"\\x{{{code_point:X}}}"
