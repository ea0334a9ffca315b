"""Model-written text made safe to show to a person who must judge it.

An approval prompt (and ``lamp cmd``'s proposal) prints text the model wrote, and
the model may be repeating an attacker. A terminal obeys what it prints: ``\\r`` and
``ESC [2K`` erase a line, backspaces overwrite, ``U+202E`` reverses what follows,
zero-width and other format characters hide text inside text. So
``rm -rf ~ \\r\\x1b[2Kls -la`` printed raw *shows* as ``ls -la``. Here every such
character becomes a visible escape (``\\r``, ``\\x1b``, ``\\u202e``) that the caller
can style apart from the text, and a multi-line text becomes its lines, with long
runs of blank lines folded into one marker, so nothing can hide off screen after
them. Pure functions: no terminal, no Rich, shared by every place that shows
model-written text to be approved.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

__all__ = ["is_hidden", "visible", "visible_lines"]

Mark = Callable[[str], str]

# Invisible or look-alike characters that unicodedata files as ordinary letters or
# marks: Hangul fillers, the Braille blank, variation selectors, combining grapheme joiner.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def is_hidden(char: str) -> bool:
    """Whether ``char`` would not show as itself on a terminal: a control (C0, DEL, C1),
    a format character (bidi embeddings, overrides and isolates, zero-width ones,
    BOM, soft hyphen, tags), a line or paragraph separator, a space other than
    U+0020, a surrogate, private-use or unassigned code point, or a variation selector."""
    if char == " ":
        return False
    if char in _INVISIBLE_LETTERS:
        return True
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    category = unicodedata.category(char)
    return category in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, mark: Mark | None = None) -> str:
    """``text`` with every hidden character (``is_hidden``, newlines included) replaced
    by its escape, each run of escapes passed through ``mark`` (e.g. reverse video) so
    that an escape the text itself spells out (a literal ``\\x1b``) looks different."""
    out: list[str] = []
    run: list[str] = []
    for char in text:
        if char == "\n" or is_hidden(char):
            run.append(_escape(char))
            continue
        if run:
            out.append(_marked("".join(run), mark))
            run = []
        out.append(char)
    if run:
        out.append(_marked("".join(run), mark))
    return "".join(out)


def visible_lines(text: str, mark: Mark | None = None, *, blank_run: int = 2) -> list[str]:
    """``text`` split at its newlines (only ``\\n``: every other line break stays a visible
    escape), each line through ``visible``. More than ``blank_run`` blank (or
    whitespace-only) lines in a row become one marked ``[N blank lines]``, so text
    after them stays on screen beside the text before them. Always at least one line."""
    lines: list[str] = []
    blanks = 0

    def flush() -> None:
        nonlocal blanks
        if blanks > blank_run:
            lines.append(_marked(f"[{blanks} blank lines]", mark))
        else:
            lines.extend([""] * blanks)
        blanks = 0

    for line in text.split("\n"):
        if not line.strip(" "):  # spaces only: blank on screen, and harmless
            blanks += 1
            continue
        flush()
        lines.append(visible(line, mark))
    flush()
    return lines or [""]


def _marked(text: str, mark: Mark | None) -> str:
    return mark(text) if mark is not None else text
