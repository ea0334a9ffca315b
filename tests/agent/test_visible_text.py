"""Model-written text shown for approval: nothing in it can act on the terminal or hide."""

from __future__ import annotations

import unicodedata

import pytest

from lamp.agent.visible_text import is_hidden, visible, visible_lines


@pytest.mark.parametrize(("raw", "shown"), [
    ("ls -la", "ls -la"),
    ("rm -rf ~ \r\x1b[2Kls -la", "rm -rf ~ \\r\\x1b[2Kls -la"),  # CR + erase line
    ("rm -rf ~\x08\x08\x08\x08\x08\x08\x08\x08ls -la", "rm -rf ~" + "\\x08" * 8 + "ls -la"),
    ("echo hi\x1b]0;title\x07", "echo hi\\x1b]0;title\\x07"),  # OSC: set the window title
    ("echo \x9b2K", "echo \\x9b2K"),  # C1 CSI, one byte
    ("echo \x85next", "echo \\x85next"),  # C1 NEL, a line break to some terminals
    ("a\x7fb", "a\\x7fb"),  # DEL
    ("a\x00b", "a\\x00b"),
    ("cat \u202etxt.exe", "cat \\u202etxt.exe"),  # right-to-left override
    ("x\u202a\u202b\u202c\u202d", "x\\u202a\\u202b\\u202c\\u202d"),
    ("x\u2066\u2067\u2068\u2069", "x\\u2066\\u2067\\u2068\\u2069"),  # bidi isolates
    ("r\u200bm", "r\\u200bm"),  # zero-width space
    ("r\u200c\u200d\u200e\u200fm", "r\\u200c\\u200d\\u200e\\u200fm"),
    ("\ufeffls", "\\ufeffls"),  # BOM
    ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),  # line and paragraph separators
    ("a\u00adb", "a\\xadb"),  # soft hyphen
    ("a\u2060b", "a\\u2060b"),  # word joiner
    ("rm\u00a0-rf", "rm\\xa0-rf"),  # a no-break space looks like a space
    ("a\u3000b", "a\\u3000b"),
    ("a\ufe0fb", "a\\ufe0fb"),  # variation selector
    ("a\U000e0041b", "a\\U000e0041b"),  # tag character
    ("a\u3164b", "a\\u3164b"),  # Hangul filler: a letter that draws nothing
    ("a\ue000b", "a\\ue000b"),  # private use
    ("a\tb", "a\\tb"),
    ("a\x0bb\x0cc", "a\\x0bb\\x0cc"),
    ("one\ntwo", "one\\ntwo"),
    ("안녕하세요 ls", "안녕하세요 ls"),  # ordinary text of any script is left alone
    ("é e\u0301", "é e\u0301"),  # so are combining accents
    ("C:\\x1b literal", "C:\\x1b literal"),  # a spelled-out escape stays text (unmarked)
])
def test_visible_table(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_nothing_the_terminal_would_act_on_survives() -> None:
    # Planes 0-2 (where assigned text lives), the tag block, the edges of private use.
    codes = [*range(0x30000), *range(0xE0000, 0xE0200), 0xF0000, 0xFFFFD, 0x10FFFD]
    out = visible("".join(chr(c) for c in codes if not 0xD800 <= c <= 0xDFFF))
    for char in set(out):
        category = unicodedata.category(char)
        assert category not in {"Cc", "Cf", "Zl", "Zp", "Co", "Cn"}, hex(ord(char))
        assert category != "Zs" or char == " "


def test_escapes_are_marked_as_runs_and_literal_text_is_not() -> None:
    mark = lambda s: f"<{s}>"  # noqa: E731
    assert visible("a\r\x1b[2Kb \\x1b", mark) == "a<\\r\\x1b>[2Kb \\x1b"
    assert visible("ok", mark) == "ok"


def test_lines_are_split_only_at_newlines_and_blank_runs_fold() -> None:
    assert visible_lines("") == [""]
    assert visible_lines("ls\npwd") == ["ls", "pwd"]
    assert visible_lines("a\r\nb") == ["a\\r", "b"]
    assert visible_lines("a\u2028b\x0bc") == ["a\\u2028b\\x0bc"]
    assert visible_lines("a\n\n\nb") == ["a", "", "", "b"]  # two blanks are shown as such
    hidden = "rm -rf ~" + "\n" * 200 + "   \n" + "echo harmless"
    assert visible_lines(hidden) == ["rm -rf ~", "[200 blank lines]", "echo harmless"]
    assert visible_lines("x\n" + " " * 50 + "\n" * 5, lambda s: f"<{s}>") == \
        ["x", "<[6 blank lines]>"]


def test_is_hidden_on_ordinary_characters() -> None:
    assert not any(is_hidden(c) for c in "abc XYZ 019 ~/.-_=+*&^%$#@!'\"`|\\<>{}[]()가é")
