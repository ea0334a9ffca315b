"""Which of the question's numbers did a PAL program leave out?

A word problem rarely states a number it does not need, and a program that
never mentions one of them has usually skipped a step: "over the next two days
he made only 30% of that" dropped, "10 pages yesterday" forgotten. Unlike a
wrong reading, an omission is visible without a model: each number written in
digits in the question should appear among the program's literals, as itself or
in a spelling arithmetic allows (30% as 30, 0.3, 1.3 or 0.7; 3/4 as 3 and 4 or 0.75;
"2 million" or "3만" as the whole value or its leading figure; 25 cents as 0.25 and 90
minutes as 1.5, converted by 100, 1000 or 60).

Only digits are read. Number words ("two days", "half"), ordinals ("6th
grade"), clock times ("from 8:00 AM") and a bare 0 or 1 ("1 pound of butter")
are left alone: a program rightly uses them without writing them. A question with
many numbers (a pasted table, a log) is not checked at all; there, leaving most
of them out is the point.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

__all__ = ["GivenNumber", "given_numbers", "program_literals", "unused_numbers"]

# Beyond this many distinct numbers the question is data, not a word problem.
MAX_CHECKED = 8

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
           "만": 1e4, "억": 1e8, "조": 1e12, "천": 1e3, "백": 1e2}
# A clock time ("8:00 AM", "17:30"): what a program uses is the span between two of them.
_CLOCK = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:/(?P<den>\d+))?"
    r"(?:(?P<ordinal>st|nd|rd|th)\b)?"
    r"(?:\s*(?P<percent>%|percent\b|퍼센트))?"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion)\b|(?P<kscale>[만억천백]|조(?!각)))?",
    re.IGNORECASE)


@dataclass(frozen=True)
class GivenNumber:
    """One number as the question writes it, and the values a program may use for it:
    any one of ``spellings``, or all of ``parts`` (a fraction's two terms)."""

    text: str
    spellings: frozenset[float]
    parts: frozenset[float] = frozenset()
    # What the text states, with no change of unit: 3만 as 30,000, 20% as 20 or 0.2,
    # 3/4 as 0.75 or its terms. A translation must keep one of these (restate.py); a
    # program may also convert (``spellings``).
    amounts: frozenset[float] = frozenset()

    def written_in(self, literals: set[float]) -> bool:
        return (any(_written(s, literals) for s in self.spellings)
                or (bool(self.parts) and all(_written(p, literals) for p in self.parts)))

    def stated_in(self, amounts: set[float]) -> bool:
        """Whether one of ``amounts`` (another text's, ``GivenNumber.amounts``) is this one."""
        return any(_written(a, amounts) for a in self.amounts)


# A number a program converts to another unit before using it: 25 cents as 0.25 dollars,
# 90 minutes as 1.5 hours, 2 km as 2000 m, 3 hours as 180 minutes; also 30% as 0.3.
_UNIT_FACTORS = (100, 1000, 60)


def _spellings(value: float, *, percent: bool, scale: float | None) -> set[float]:
    found = {value}
    for factor in _UNIT_FACTORS:
        found |= {value / factor, value * factor}
    if percent:
        # 30% as the factor of a rise or a fall: 1.3 and 0.7 (0.3 is a unit change above).
        found |= {1 + value / 100, 1 - value / 100}
    if scale is not None:
        found.add(value * scale)
    return found


def given_numbers(question: str) -> list[GivenNumber]:
    """The distinct numbers the question writes in digits, in order, without those a
    program rightly leaves unwritten (ordinals, clock times, a bare 0 or 1)."""
    seen: dict[str, GivenNumber] = {}
    question = _CLOCK.sub(" ", question)
    for match in _TOKEN.finditer(question):
        if match["ordinal"] and not match["den"]:
            continue  # "6th grade" is a position; "1/4th" is still a fraction
        value = float(match["num"].replace(",", ""))
        if value in (0, 1) and not (match["den"] or match["percent"] or match["scale"]
                                    or match["kscale"]):
            continue  # "1 pound of butter": a program multiplies by 1 without writing it
        scale_word = (match["scale"] or match["kscale"] or "").lower()
        scale = _SCALES.get(scale_word)
        text = match.group(0).strip()
        if match["den"]:
            denominator = float(match["den"])
            if denominator:
                parts = frozenset({value, denominator})
                seen.setdefault(text, GivenNumber(text, frozenset({value / denominator}),
                                                  parts, parts | {value / denominator}))
            continue
        spellings = _spellings(value, percent=bool(match["percent"]), scale=scale)
        amounts = {value * scale if scale is not None else value}
        if match["percent"]:
            amounts.add(value / 100)
        seen.setdefault(text, GivenNumber(text, frozenset(spellings),
                                          amounts=frozenset(amounts)))
    return list(seen.values())


def program_literals(code: str) -> set[float] | None:
    """The numbers a program writes, as literals or inside strings; None if it does not
    parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    found: set[float] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool)):
            found.add(float(node.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # Fraction("3/4"), Decimal("2.5"): a number may come as a string.
            for piece in re.findall(r"\d+(?:\.\d+)?", node.value):
                found.add(float(piece))
    return found


def _written(spelling: float, literals: set[float]) -> bool:
    return any(math.isclose(spelling, literal, rel_tol=1e-9, abs_tol=1e-12)
               for literal in literals)


def unused_numbers(question: str, code: str) -> list[str]:
    """The question's numbers (as written there) that ``code`` never writes.

    Empty when the program cannot be parsed, or the question has more than
    ``MAX_CHECKED`` numbers, or none in digits.
    """
    numbers = given_numbers(question)
    literals = program_literals(code) if len(numbers) <= MAX_CHECKED else None
    if literals is None:
        return []
    return [n.text for n in numbers if not n.written_in(literals)]
