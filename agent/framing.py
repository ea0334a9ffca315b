"""Frames for untrusted text: documents, attached files, piped input, tool results, memory.

Text lamp did not write (a retrieved chunk, an attached file, stdin, what a tool or
an MCP server returned, a recalled turn) reaches the model inside a frame::

    <document>
    ...the text...
    </document>

A frame is only worth something if the text inside cannot end it early or open
a frame of its own, and cannot speak in the chat template's voice. So before
framing, ``neutralize`` does two things to the text:

- **Frame markers** of every lamp frame (``<document>``, ``</file>``, ``<tool_call>``,
  ...) become ``[document]``, ``[/file]``, ``[tool_call]``: still readable, never a
  tag. They are found in any case, with whitespace or invisible characters
  (zero-width, bidi, combining marks) inside, in fullwidth or other look-alike
  brackets, slashes and letters (NFKC, Cyrillic and Greek homoglyphs), and as
  HTML or JSON escapes (``&lt;/document&gt;``, ``\\u003c/document``).
- **Control tokens** of common chat templates (``<|im_end|>``, ``<|eot_id|>``,
  ``<｜end▁of▁sentence｜>``, ``[INST]``, ``<start_of_turn>``, ``</s>``, ...) and any
  the caller names (a model's own vocabulary) get a zero-width space after their
  first character, so a tokenizer that parses special tokens in the prompt reads
  them as plain text. The visible text does not change. (``break_tokens`` lives in
  ``models/control_tokens.py``: the tokens are the models', and the model layer
  imports nothing above it.)

Both are deterministic and idempotent, and text without such markers is returned
unchanged, so prompts of ordinary input stay byte for byte what they were (and
cost no extra tokens beyond the frame's own two lines).

The in-process model goes further (``models/llama_backend.py``): every message's
text is checked against the model's own vocabulary before it is tokenized. This
module is what protects prompts sent to a server, whose vocabulary lamp cannot see.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .models.control_tokens import ZWSP, break_tokens

__all__ = ["FRAME_TAGS", "ZWSP", "break_tokens", "frame", "neutralize", "one_line"]

FRAME_TAGS = ("document", "file", "input", "memory", "observation",
              "tool_response", "tool_call", "tools")
"""Every tag lamp frames text with, plus the Hermes tool-call tags Qwen was trained on
(a forged ``<tool_call>`` in a tool result must not read as a call)."""

# -- frame markers --------------------------------------------------------------------

# Brackets and slashes that read as ``<``, ``>`` and ``/`` (NFKC already folds the
# fullwidth and small forms ＜ ﹤ ／).
_LOOKALIKE = str.maketrans({
    **dict.fromkeys("‹〈〈⟨❮❰⧼˂ᐸ⟪《≺", "<"),
    **dict.fromkeys("›〉〉⟩❯❱⧽˃ᐳ⟫》≻", ">"),
    **dict.fromkeys("⁄∕⧸╱", "/"),
    # Cyrillic and Greek letters drawn like the Latin ones in the tag names.
    **dict(zip("асԁеһіјӏорԛѕтսѵԝхуᴜαεικνορτυχ",
               "acdehijlopqstuvwxyuaeikvoptux", strict=True)),
})
_TAG_NAMES = "|".join(
    sorted((t.replace("_", r"[_\-\s]?") + "s?" for t in FRAME_TAGS), key=len, reverse=True))


def _marker_pattern(n: int) -> str:
    """Opening bracket, optional slash, a tag name, closing bracket; group names end in
    ``n``. HTML and JSON escapes count as the characters they stand for."""
    opening = r"(?:<|&lt;?|&#0*60;?|&#x0*3c;?|\\u003c|\\x3c)"
    slash = rf"(?P<slash{n}>\\?/|&#0*47;?|&#x0*2f;?|\\u002f)"
    close = rf"(?P<close{n}>>|&gt;?|&#0*62;?|&#x0*3e;?|\\u003e|\\x3e)"
    name = rf"(?P<name{n}>{_TAG_NAMES})"
    if n == 1:  # tight (``</document``): the closing bracket may be missing
        return rf"{opening}{slash}?{name}(?![a-z0-9_])(?:\s*{close})?"
    # with spaces inside (``< / document >``) only when closed, so ``i < input:`` in code
    # stays as it is
    return rf"{opening}\s*(?:{slash}\s*)?{name}\s*{close}"


_MARKER = re.compile(f"{_marker_pattern(1)}|{_marker_pattern(2)}", re.IGNORECASE)


_ASCII_CONTROL = frozenset(map(chr, [*range(9), *range(14, 32), 127]))


def _fold(ch: str) -> str:
    """How one character reads, for finding markers: invisible ones vanish, look-alikes
    become the ASCII they imitate, case is folded."""
    if ch.isascii():
        return "" if ch in _ASCII_CONTROL else ch.lower()
    if unicodedata.category(ch) in ("Cf", "Mn", "Me", "Cc") or "\ufe00" <= ch <= "\ufe0f":
        return ""
    return unicodedata.normalize("NFKC", ch.translate(_LOOKALIKE)).casefold().translate(
        _LOOKALIKE)


def _escaped(m: re.Match[str]) -> str:
    n = 1 if m.group("name1") is not None else 2
    name = re.sub(r"[_\-\s]", "", m.group(f"name{n}").lower())
    tag = next(t for t in FRAME_TAGS if t.replace("_", "") in (name, name[:-1]))
    plural = "s" if len(name) > len(tag.replace("_", "")) else ""
    slash, close = m.group(f"slash{n}"), m.group(f"close{n}")
    return f"[{'/' if slash else ''}{tag}{plural}{']' if close else ''}"


def _escape_markers(text: str) -> str:
    if text.isascii() and _ASCII_CONTROL.isdisjoint(text):
        return _MARKER.sub(_escaped, text)
    folded: list[str] = []
    origin: list[int] = []  # index in ``text`` of each folded character
    for i, ch in enumerate(text):
        piece = _fold(ch)
        folded.append(piece)
        origin.extend([i] * len(piece))
    flat = "".join(folded)
    out, last = [], 0
    for m in _MARKER.finditer(flat):
        start, end = origin[m.start()], origin[m.end() - 1] + 1
        out += [text[last:start], _escaped(m)]
        last = end
    return "".join(out) + text[last:] if out else text


# -- the frame ------------------------------------------------------------------------

def neutralize(text: str, tokens: Iterable[str] = ()) -> str:
    """``text`` as data: no frame marker it could close or open a frame with, no control
    token of a chat template (nor any of ``tokens``)."""
    return break_tokens(_escape_markers(text), tokens)


def frame(tag: str, text: str) -> str:
    """``text``, neutralized, between ``<tag>`` and ``</tag>`` lines."""
    if tag not in FRAME_TAGS:
        raise ValueError(f"not a frame tag: {tag!r}")
    return f"<{tag}>\n{neutralize(text)}\n</{tag}>"


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                          r"\u2066-\u2069]+")


def one_line(text: str, limit: int = 200) -> str:
    """A label (a file name) that cannot start a line of its own, neutralized: control,
    line-break and bidi characters become one space."""
    flat = _LINE_BREAKS.sub(" ", text).strip()
    return neutralize(flat if len(flat) <= limit else flat[: limit - 1] + "…")
