"""The shell's words and operators, read on demand for ``parser``.

The lexer is where quoting is resolved: ``\\rm``, ``r''m``, ``"rm"`` and ``$'\\x72m'`` all
become the literal ``rm`` (marked quoted), while ``$X``, ``${...}``, ``$(...)``,
backticks, ``<(...)`` and ``$((...))`` become parts of their own. A substitution's
inside is a whole script, parsed by a nested parser on the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .syntax import MAX_DEPTH, Arith, Lit, Param, ParseError, Part, Redirect, Script, Sub, Word

__all__ = ["ASSIGN", "NAME", "Lexer", "Token", "subs_in"]


@dataclass(frozen=True)
class Token:
    kind: str  # word, op, redir, eof
    value: str = ""
    word: Word | None = None
    start: int = 0


_OPS = ("&&", "||", ";;&", ";;", ";&", "|&", "((", "|", "&", ";", "(", ")", "\n")
_REDIRS = ("&>>", "<<<", "<<-", "&>", ">>", ">|", "<>", "<<", "<&", ">&", "<", ">")
_META = set(" \t\n;&|()<>")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=")
_SPECIAL = set("@*#?$!-0123456789")
_ANSI = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b",
         "f": "\f", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?"}


class Lexer:
    """Reads tokens on demand from ``src``; substitutions inside words are parsed
    recursively with a new ``_Parser`` on the same lexer."""

    def __init__(self, src: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise ParseError("nested too deeply")
        self.src, self.pos, self.depth = src, 0, depth
        self.heredocs: list[tuple[Redirect, str, bool, bool]] = []

    def _peekc(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.src[i] if i < len(self.src) else ""

    def next(self) -> Token:
        while True:
            ch = self._peekc()
            if ch in (" ", "\t"):
                self.pos += 1
            elif ch == "\\" and self._peekc(1) == "\n":
                self.pos += 2
            elif ch == "#":
                while self._peekc() not in ("", "\n"):
                    self.pos += 1
            else:
                break
        start = self.pos
        if not ch:
            if self.heredocs:
                self._read_heredocs()
            return Token("eof", start=start)
        if ch == "\n":
            self.pos += 1
            self._read_heredocs()
            return Token("op", "\n", start=start)
        if ch in "<>" and self._peekc(1) == "(":
            return self._word(start)
        for op in _REDIRS:
            if self.src.startswith(op, self.pos):
                self.pos += len(op)
                return Token("redir", op, start=start)
        for op in _OPS:
            if self.src.startswith(op, self.pos):
                self.pos += len(op)
                return Token("op", op, start=start)
        return self._word(start)

    def _word(self, start: int) -> Token:
        parts: list[Part] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                parts.append(Lit("".join(buf)))
                buf.clear()

        while True:
            ch = self._peekc()
            if not ch:
                break
            if ch in "<>" and self._peekc(1) == "(":  # process substitution
                flush()
                self.pos += 2
                parts.append(Sub(self._nested(")"), False, "process"))
                continue
            if ch == "(" and buf and buf[-1] in "?*+@!":  # extglob: ?(a|b)
                buf.append(self._balanced("(", ")"))
                continue
            if ch == "(" and not parts and buf and ASSIGN.fullmatch("".join(buf)):
                flush()  # an array: a=(1 2 3)
                inner = self._balanced("(", ")")
                parts.append(Param("[array]", False, plain=False,
                                   subs=subs_in(inner[1:-1], self.depth)))
                continue
            if ch in _META:
                break
            if ch == "\\":
                nxt = self._peekc(1)
                self.pos += 2
                if nxt == "\n":
                    continue
                flush()
                parts.append(Lit(nxt or "\\", True))
                continue
            if ch == "'":
                flush()
                end = self.src.find("'", self.pos + 1)
                if end < 0:
                    raise ParseError("unterminated single quote")
                parts.append(Lit(self.src[self.pos + 1:end], True))
                self.pos = end + 1
                continue
            if ch == '"':
                flush()
                self.pos += 1
                parts.extend(self._double_quoted('"'))
                continue
            if ch == "$":
                part = self._dollar(False)
                if part is not None:
                    flush()
                    parts.append(part)
                    continue
                buf.append("$")
                self.pos += 1
                continue
            if ch == "`":
                flush()
                parts.append(self._backtick(False))
                continue
            buf.append(ch)
            self.pos += 1
        flush()
        text = self.src[start:self.pos]
        if text.isdigit() and self._peekc() in ("<", ">") and self._peekc(1) != "(":
            return Token("fd", text, start=start)
        return Token("word", text, Word(tuple(parts)), start)

    def _double_quoted(self, end: str) -> list[Part]:
        """Parts of a double-quoted string up to ``end`` (consumed); ``end`` "" reads to the
        end of the text (a here-document body)."""
        parts: list[Part] = []
        buf: list[str] = []
        while True:
            ch = self._peekc()
            if not ch:
                if end:
                    raise ParseError("unterminated double quote")
                break
            if ch == end:
                self.pos += 1
                break
            if ch == "\\":
                nxt = self._peekc(1)
                if nxt in ('$', '`', '"', "\\", "\n") and (nxt != '"' or end == '"'):
                    if nxt != "\n":
                        buf.append(nxt)
                    self.pos += 2
                    continue
                buf.append("\\")
                self.pos += 1
                continue
            if ch == "$":
                part = self._dollar(True)
                if part is not None:
                    if buf:
                        parts.append(Lit("".join(buf), True))
                        buf.clear()
                    parts.append(part)
                    continue
            if ch == "`":
                if buf:
                    parts.append(Lit("".join(buf), True))
                    buf.clear()
                parts.append(self._backtick(True))
                continue
            buf.append(ch)
            self.pos += 1
        if buf or not parts:
            parts.append(Lit("".join(buf), True))
        return parts

    def _dollar(self, quoted: bool) -> Part | None:
        nxt = self._peekc(1)
        if nxt == "(" and self._peekc(2) == "(":
            self.pos += 1
            inner = self._balanced("(", ")")
            return Arith(quoted, subs_in(inner[2:-2], self.depth))
        if nxt == "(":
            self.pos += 2
            return Sub(self._nested(")"), quoted)
        if nxt == "{":
            self.pos += 1
            inner = self._balanced("{", "}")[1:-1]
            if NAME.fullmatch(inner) or (len(inner) == 1 and inner in _SPECIAL) \
                    or inner.isdigit():
                return Param(inner, quoted)
            name = NAME.match(inner.lstrip("#!"))
            return Param(name.group(0) if name else inner[:1], quoted, plain=False,
                         subs=subs_in(inner, self.depth))
        if nxt == "'" and not quoted:
            self.pos += 2
            return Lit(self._ansi_c(), True)
        if nxt == '"' and not quoted:
            self.pos += 2
            parts = self._double_quoted('"')
            return parts[0] if len(parts) == 1 else Param("[locale]", True, plain=False,
                                                           subs=tuple(p for p in parts
                                                                      if isinstance(p, Sub)))
        match = NAME.match(self.src, self.pos + 1)
        if match:
            self.pos = match.end()
            return Param(match.group(0), quoted)
        if nxt and nxt in _SPECIAL:
            self.pos += 2
            return Param(nxt, quoted)
        return None

    def _ansi_c(self) -> str:
        out: list[str] = []
        while True:
            ch = self._peekc()
            if not ch:
                raise ParseError("unterminated $'...' string")
            self.pos += 1
            if ch == "'":
                return "".join(out)
            if ch != "\\":
                out.append(ch)
                continue
            esc = self._peekc()
            self.pos += 1
            if not esc:
                raise ParseError("unterminated $'...' string")
            if esc in _ANSI:
                out.append(_ANSI[esc])
            elif esc in "xuU":
                size = {"x": 2, "u": 4, "U": 8}[esc]
                digits = re.match(rf"[0-9a-fA-F]{{1,{size}}}", self.src[self.pos:])
                if digits:
                    self.pos += len(digits.group(0))
                    out.append(chr(min(int(digits.group(0), 16), 0x10FFFF)))
                else:
                    out.append("\\" + esc)
            elif esc in "01234567":
                digits = re.match(r"[0-7]{0,2}", self.src[self.pos:])
                assert digits is not None
                self.pos += len(digits.group(0))
                out.append(chr(int(esc + digits.group(0), 8) & 0xFF))
            elif esc == "c" and self._peekc():
                out.append(chr(ord(self._peekc()) & 0x1F))
                self.pos += 1
            else:
                out.append("\\" + esc)

    def _backtick(self, quoted: bool) -> Sub:
        self.pos += 1
        out: list[str] = []
        while True:
            ch = self._peekc()
            if not ch:
                raise ParseError("unterminated backtick")
            self.pos += 1
            if ch == "`":
                break
            if ch == "\\" and self._peekc() in ("`", "$", "\\"):
                out.append(self._peekc())
                self.pos += 1
                continue
            out.append(ch)
        from .parser import parse

        return Sub(parse("".join(out), self.depth + 1), quoted)

    def _nested(self, close: str) -> Script:
        """A script up to the ``close`` token that ends a substitution (consumed)."""
        if self.depth + 1 > MAX_DEPTH:
            raise ParseError("nested too deeply")
        self.depth += 1
        try:
            from .parser import Parser  # the parser reads the lexer; the lexer nests it

            parser = Parser(self)
            script = parser.parse_list({close})
            token = parser.take()
            if token.kind != "op" or token.value != close:
                raise ParseError(f"expected '{close}'")
        finally:
            self.depth -= 1
        return script

    def _balanced(self, open_: str, close: str) -> str:
        """The text from an ``open_`` at ``pos`` to its matching ``close`` (quotes respected)."""
        start, level = self.pos, 0
        while self.pos < len(self.src):
            ch = self.src[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch in "'\"":
                end = self.src.find(ch, self.pos + 1)
                if end < 0:
                    raise ParseError("unterminated quote")
                self.pos = end + 1
                continue
            self.pos += 1
            if ch == open_:
                level += 1
            elif ch == close:
                level -= 1
                if level == 0:
                    return self.src[start:self.pos]
        raise ParseError(f"unbalanced '{open_}'")

    def read_raw_until(self, end: str) -> str:
        """The raw text up to ``end`` (consumed): the inside of ``(( ))``."""
        idx = self.src.find(end, self.pos)
        if idx < 0:
            raise ParseError(f"missing '{end}'")
        text = self.src[self.pos:idx]
        self.pos = idx + len(end)
        return text

    def _read_heredocs(self) -> None:
        for redirect, delim, quoted, strip_tabs in self.heredocs:
            lines: list[str] = []
            while self.pos < len(self.src):
                end = self.src.find("\n", self.pos)
                line = self.src[self.pos:] if end < 0 else self.src[self.pos:end]
                self.pos = len(self.src) if end < 0 else end + 1
                if strip_tabs:
                    line = line.lstrip("\t")
                if line == delim:
                    break
                lines.append(line)
            body = "\n".join(lines) + ("\n" if lines else "")
            if quoted:
                redirect.body = Word((Lit(body, True),))
            else:
                sub = Lexer(body, self.depth + 1)
                redirect.body = Word(tuple(sub._double_quoted("")))
        self.heredocs.clear()


def subs_in(text: str, depth: int) -> tuple[Sub, ...]:
    """The substitutions inside ``${...}``/``$((...))``/array text (read as if double-quoted)."""
    if "$" not in text and "`" not in text:
        return ()
    parts = Lexer(text, depth + 1)._double_quoted("")
    out: list[Sub] = []
    for part in parts:
        if isinstance(part, Sub):
            out.append(part)
        elif isinstance(part, (Param, Arith)):
            out.extend(part.subs)
    return tuple(out)
