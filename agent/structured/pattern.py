"""``pattern`` as GBNF: the regular-expression subset a grammar can follow.

llama-cpp-python ships a translator (``SchemaConverter._visit_pattern``); it is
not used because it emits characters JSON must escape (``.`` and ``[^x]`` allow
a bare ``"``, ending the string early, and control characters), asserts on a
pattern without ``^...$`` (JSON Schema patterns are unanchored searches), and
it is a private method. Here a pattern is read into a small tree and written
out over JSON-encoded characters: a ``"`` the pattern allows is written ``\\"``,
a newline ``\\n``.

Supported: literals and escapes, ``.``, classes (``[a-z_]``, ``[^,]``, ``\\d \\w
\\s`` and their negations), groups (capturing, ``(?:``, named), ``|``, and the
quantifiers ``* + ? {m} {m,} {m,n}`` (lazy too). An open repeat stops at
``REPEAT`` so the string stays bounded. ``\\w`` allows letters of every script,
a little more than Python's; ``\\d`` and ``\\s`` only their ASCII members.
Anything else (lookarounds, backreferences, ``\\b``, inline flags, anchors
inside) makes ``translate`` answer None: the string is then only bounded, and
validation checks the pattern.
"""

from __future__ import annotations

import json
from typing import Any

from ..grammar import literal

__all__ = ["REPEAT", "translate"]

REPEAT = 256  # most repeats of an open quantifier (*, +, {m,})
_MOST = 1000  # a larger count than this in a pattern is left to validation

Ranges = tuple[tuple[int, int], ...]
Node = tuple[Any, ...]  # ("set", Ranges, negated) | ("seq"/"alt", [Node]) | ("rep", Node, m, n)

_DIGIT: Ranges = ((0x30, 0x39),)
_SPACE: Ranges = ((0x09, 0x0D), (0x20, 0x20))
# \w: ASCII word characters, and the letters and digits of other scripts (wide blocks
# with their punctuation cut out where it is cheap; validation catches the rest).
_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A), (0xAA, 0xAA),
                 (0xB5, 0xB5), (0xBA, 0xBA), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1FFF),
                 (0x2070, 0x218F), (0x2C00, 0x2DFF), (0x2E80, 0x2FFF), (0x3005, 0x3007),
                 (0x3021, 0x3029), (0x3031, 0x303F), (0x3040, 0xD7FF), (0xF900, 0xFEFF),
                 (0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A), (0xFF66, 0x10FFFF))
_CLASSES = {"d": (_DIGIT, False), "D": (_DIGIT, True), "w": (_WORD, False),
            "W": (_WORD, True), "s": (_SPACE, False), "S": (_SPACE, True)}
_CHARS = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "0": "\0"}
# Characters a JSON string must escape, and the escapes a grammar lets the model write.
_JSON_ESCAPED: Ranges = ((0x00, 0x1F), (0x22, 0x22), (0x5C, 0x5C), (0x7F, 0x7F))
_WRITTEN = {0x22: '\\"', 0x5C: "\\\\", 0x0A: "\\n", 0x09: "\\t", 0x0D: "\\r", 0x0C: "\\f",
            0x08: "\\b"}


class _Unsupported(Exception):
    pass


def translate(pattern: str) -> str | None:
    """A GBNF expression for the inside of a JSON string ``pattern`` finds (searched,
    as JSON Schema does: unanchored ends may hold other text); None when the pattern
    uses what a grammar cannot follow."""
    start = pattern.startswith("^")
    body = pattern[1:] if start else pattern
    end = body.endswith("$") and not _escaped(body, len(body) - 1)
    body = body[:-1] if end else body
    try:
        parser = _Parser(body)
        tree = parser.alternatives()
        if parser.i != len(body):
            raise _Unsupported  # an unmatched ")"
        if tree[0] == "alt" and (start or end):
            raise _Unsupported  # ^a|b$ anchors each branch, not the whole
        inner = _emit(tree)
    except _Unsupported:
        return None
    free = f"{_emit_set(((0x0A, 0x0A),), True)}{{0,{REPEAT}}}"
    parts = ([] if start else [free]) + ([inner] if inner else []) + ([] if end else [free])
    return " ".join(parts) if parts else '""'


def _escaped(text: str, index: int) -> bool:
    slashes = 0
    while index - 1 - slashes >= 0 and text[index - 1 - slashes] == "\\":
        slashes += 1
    return slashes % 2 == 1


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def alternatives(self) -> Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence(self) -> Node:
        items: list = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        return ("seq", items)

    def atom(self) -> Node:
        c = self.peek()
        self.i += 1
        if c == "(":
            if self.peek() == "?":
                rest = self.text[self.i:]
                if rest.startswith("?:"):
                    self.i += 2
                elif rest.startswith(("?P<", "?<")) and rest[2 if rest[1] == "<" else 3:][:1] \
                        not in ("=", "!", ""):
                    self.i = self.text.index(">", self.i) + 1
                else:
                    raise _Unsupported  # lookarounds, inline flags, conditionals
            inner = self.alternatives()
            if self.peek() != ")":
                raise _Unsupported
            self.i += 1
            return inner
        if c == "[":
            return self.char_class()
        if c == ".":
            return ("set", ((0x0A, 0x0A),), True)
        if c == "\\":
            return self.escape(in_class=False)
        if c in "^$*+?{)":
            raise _Unsupported
        return ("set", ((ord(c), ord(c)),), False)

    def escape(self, *, in_class: bool) -> Node:
        c = self.peek()
        self.i += 1
        if c in _CLASSES:
            ranges, negated = _CLASSES[c]
            if negated and in_class:
                raise _Unsupported
            return ("set", ranges, negated)
        if c in _CHARS:
            code = ord(_CHARS[c])
        elif c in ("x", "u"):
            width = 2 if c == "x" else 4
            digits = self.text[self.i:self.i + width]
            if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                raise _Unsupported
            self.i += width
            code = int(digits, 16)
        elif c and not c.isalnum():
            code = ord(c)  # an escaped symbol stands for itself
        else:
            raise _Unsupported  # \b, \A, backreferences, \p{...}
        return ("set", ((code, code),), False)

    def char_class(self) -> Node:
        negated = self.peek() == "^"
        self.i += negated
        ranges: list[tuple[int, int]] = []
        first = True
        while True:
            c = self.peek()
            if c == "":
                raise _Unsupported
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            low = self.class_member()
            if isinstance(low, tuple):
                ranges.extend(low)
                continue
            if self.peek() == "-" and self.text[self.i + 1:self.i + 2] not in ("]", ""):
                self.i += 1
                high = self.class_member()
                if isinstance(high, tuple) or high < low:
                    raise _Unsupported
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        return ("set", tuple(ranges), negated)

    def class_member(self) -> int | Ranges:
        c = self.peek()
        self.i += 1
        if c == "[" and self.peek() == ":":
            raise _Unsupported  # POSIX classes
        if c != "\\":
            return ord(c)
        node = self.escape(in_class=True)
        ranges = node[1]
        return ranges if len(ranges) != 1 or ranges[0][0] != ranges[0][1] else ranges[0][0]

    def quantified(self, node: Node) -> Node:
        while True:
            c = self.peek()
            if c in ("*", "+", "?"):
                self.i += 1
                least, most = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            elif c == "{":
                close = self.text.find("}", self.i)
                low, comma, high = self.text[self.i + 1:close].partition(",")
                if close < 0 or not low.strip().isdigit() or (high.strip() and
                                                              not high.strip().isdigit()):
                    raise _Unsupported
                least = int(low)
                most = (int(high) if high.strip() else None) if comma else least
                if least > _MOST or (most is not None and (most > _MOST or most < least)):
                    raise _Unsupported
                self.i = close + 1
            else:
                return node
            if self.peek() == "?":
                self.i += 1  # lazy: the same strings
            elif self.peek() == "+":
                raise _Unsupported  # possessive
            node = ("rep", node, least, most if most is not None else max(least, REPEAT))


def _emit(node: Node) -> str:
    kind = node[0]
    if kind == "set":
        return _emit_set(node[1], node[2])
    if kind == "alt":
        branches = [_emit(b) for b in node[1]]
        filled = [b for b in branches if b]
        if not filled:
            return ""
        group = "( " + " | ".join(filled) + " )"
        return group + "?" if len(filled) < len(branches) else group
    if kind == "rep":
        _, child, least, most = node
        inner = _emit(child)
        if not inner or most == 0:
            return ""
        if (least, most) == (0, 1):
            return f"( {inner} )?"
        count = f"{{{least}}}" if least == most else f"{{{least},{most}}}"
        return f"( {inner} ){count}"
    parts, run = [], []
    for item in node[1]:
        if item[0] == "set" and not item[2] and len(item[1]) == 1 \
                and item[1][0][0] == item[1][0][1]:
            run.append(chr(item[1][0][0]))
            continue
        if run:
            parts.append(_written("".join(run)))
            run = []
        text = _emit(item)
        if text:
            parts.append(text)
    if run:
        parts.append(_written("".join(run)))
    return " ".join(p for p in parts if p)


def _written(text: str) -> str:
    """Literal characters as JSON writes them inside a string."""
    return literal(json.dumps(text, ensure_ascii=False)[1:-1])


def _emit_set(ranges: Ranges, negated: bool) -> str:
    """One character of ``ranges`` (or of anything else, ``negated``), JSON-encoded:
    plain where JSON allows it, as its escape where JSON needs one."""
    options = []
    if negated:
        excluded = _merge(ranges + _JSON_ESCAPED)
        options.append("[^" + "".join(_class_range(lo, hi) for lo, hi in excluded) + "]")
        escapes = [w for code, w in _WRITTEN.items() if not _inside(code, ranges)]
    else:
        plain = _subtract(_merge(ranges), _JSON_ESCAPED)
        if plain:
            options.append("[" + "".join(_class_range(lo, hi) for lo, hi in plain) + "]")
        escapes = [w for code, w in _WRITTEN.items() if _inside(code, ranges)]
    options += [literal(w) for w in escapes]
    if not options:
        raise _Unsupported  # only characters a grammar cannot write (other controls)
    return options[0] if len(options) == 1 else "( " + " | ".join(options) + " )"


def _inside(code: int, ranges: Ranges) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def _merge(ranges: Ranges) -> Ranges:
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _subtract(ranges: Ranges, cut: Ranges) -> Ranges:
    out = []
    for lo, hi in ranges:
        pieces = [(lo, hi)]
        for c_lo, c_hi in cut:
            next_pieces = []
            for p_lo, p_hi in pieces:
                if c_hi < p_lo or c_lo > p_hi:
                    next_pieces.append((p_lo, p_hi))
                    continue
                if p_lo < c_lo:
                    next_pieces.append((p_lo, c_lo - 1))
                if c_hi < p_hi:
                    next_pieces.append((c_hi + 1, p_hi))
            pieces = next_pieces
        out.extend(pieces)
    return tuple(out)


def _class_range(lo: int, hi: int) -> str:
    return _class_char(lo) if lo == hi else f"{_class_char(lo)}-{_class_char(hi)}"


def _class_char(code: int) -> str:
    if chr(code).isascii() and chr(code).isalnum():
        return chr(code)
    if code < 0x100:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"
