"""A small GBNF recogniser for tests: does a grammar accept this whole text?

llama.cpp checks a grammar only while it samples, which needs a model's vocabulary;
this reads the same notation (rules, literals, character classes, groups,
``* + ? {m} {m,} {m,n}``) and answers by sets of end positions, so the grammar
of each schema keyword can be tested on documents without a model.
``test_grammar_engine.py`` runs the same cases through llama.cpp's own engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Grammar"]

_RULE = re.compile(r"^\s*([a-zA-Z0-9-]+)\s*::=", re.M)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


@dataclass
class Grammar:
    text: str
    rules: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        starts = list(_RULE.finditer(self.text))
        assert starts, "no rules"
        for n, match in enumerate(starts):
            end = starts[n + 1].start() if n + 1 < len(starts) else len(self.text)
            body = self.text[match.end():end]
            parser = _Parser(body)
            node = parser.alternatives()
            parser.skip()
            assert parser.at_end(), f"rule {match[1]}: cannot read {body[parser.i:][:40]!r}"
            assert match[1] not in self.rules, f"rule {match[1]} defined twice"
            self.rules[match[1]] = node
        for name in self.rules:
            self._check_refs(self.rules[name], name)

    def _check_refs(self, node: Any, where: str) -> None:
        kind = node[0]
        if kind == "ref":
            assert node[1] in self.rules, f"rule {where} uses undefined rule {node[1]}"
        elif kind in ("alt", "seq"):
            for child in node[1]:
                self._check_refs(child, where)
        elif kind == "rep":
            self._check_refs(node[1], where)

    def accepts(self, text: str, root: str = "root") -> bool:
        memo: dict[tuple[str, int], frozenset[int]] = {}
        return len(text) in self._ends(("ref", root), text, 0, memo)

    def _ends(self, node: Any, s: str, i: int, memo: dict) -> frozenset[int]:
        kind = node[0]
        if kind == "lit":
            return frozenset([i + len(node[1])]) if s.startswith(node[1], i) else frozenset()
        if kind == "cls":
            if i >= len(s):
                return frozenset()
            inside = any(lo <= ord(s[i]) <= hi for lo, hi in node[2])
            return frozenset([i + 1]) if inside != node[1] else frozenset()
        if kind == "any":
            return frozenset([i + 1]) if i < len(s) else frozenset()
        if kind == "ref":
            key = (node[1], i)
            if key not in memo:
                memo[key] = frozenset()  # a rule re-entered at the same place matches nothing
                memo[key] = self._ends(self.rules[node[1]], s, i, memo)
            return memo[key]
        if kind == "alt":
            return frozenset().union(*(self._ends(n, s, i, memo) for n in node[1]))
        if kind == "seq":
            here = frozenset([i])
            for child in node[1]:
                here = frozenset().union(*(self._ends(child, s, p, memo) for p in here))
                if not here:
                    break
            return here
        _, child, least, most = node
        here = frozenset([i])
        for _ in range(least):
            here = frozenset().union(*(self._ends(child, s, p, memo) for p in here))
        found, frontier, count = set(here), set(here), least
        while frontier and (most is None or count < most):
            frontier = set().union(*(self._ends(child, s, p, memo) for p in frontier)) - found
            found |= frontier
            count += 1
        return frozenset(found)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def at_end(self) -> bool:
        return self.i >= len(self.text)

    def skip(self) -> None:
        while not self.at_end():
            c = self.text[self.i]
            if c == "#":
                while not self.at_end() and self.text[self.i] != "\n":
                    self.i += 1
            elif c.isspace():
                self.i += 1
            else:
                break

    def alternatives(self) -> Any:
        options = [self.sequence()]
        self.skip()
        while not self.at_end() and self.text[self.i] == "|":
            self.i += 1
            options.append(self.sequence())
            self.skip()
        return options[0] if len(options) == 1 else ("alt", options)

    def sequence(self) -> Any:
        items = []
        while True:
            self.skip()
            if self.at_end() or self.text[self.i] in "|)":
                break
            items.append(self.postfix(self.primary()))
        return ("seq", items)

    def primary(self) -> Any:
        c = self.text[self.i]
        if c == '"':
            self.i += 1
            out = []
            while self.text[self.i] != '"':
                out.append(self.char())
            self.i += 1
            return ("lit", "".join(out))
        if c == "[":
            self.i += 1
            negated = self.text[self.i] == "^"
            self.i += negated
            ranges = []
            while self.text[self.i] != "]":
                lo = self.char()
                hi = lo
                if self.text[self.i] == "-" and self.text[self.i + 1] != "]":
                    self.i += 1
                    hi = self.char()
                ranges.append((ord(lo), ord(hi)))
            self.i += 1
            return ("cls", negated, ranges)
        if c == "(":
            self.i += 1
            node = self.alternatives()
            self.skip()
            assert self.text[self.i] == ")", f"expected ) at {self.text[self.i:][:30]!r}"
            self.i += 1
            return node
        if c == ".":
            self.i += 1
            return ("any",)
        match = re.compile(r"[a-zA-Z0-9-]+").match(self.text, self.i)
        assert match, f"cannot read {self.text[self.i:][:30]!r}"
        self.i = match.end()
        return ("ref", match[0])

    def postfix(self, node: Any) -> Any:
        while not self.at_end():
            c = self.text[self.i]
            if c in "*+?":
                self.i += 1
                node = ("rep", node, 1 if c == "+" else 0, 1 if c == "?" else None)
            elif c == "{":
                end = self.text.index("}", self.i)
                low, comma, high = self.text[self.i + 1:end].partition(",")
                least = int(low)
                most = (int(high) if high.strip() else None) if comma else least
                self.i = end + 1
                node = ("rep", node, least, most)
            else:
                break
        return node

    def char(self) -> str:
        c = self.text[self.i]
        if c != "\\":
            self.i += 1
            return c
        e = self.text[self.i + 1]
        if e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            value = int(self.text[self.i + 2:self.i + 2 + width], 16)
            self.i += 2 + width
            return chr(value)
        self.i += 2
        return _ESCAPES.get(e, e)
