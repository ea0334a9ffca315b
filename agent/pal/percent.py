"""A proportion returned where the question asks for a percentage.

Asked "what percentage of the puppies have spots?", a small model's program often
ends in ``return spotted / total``: the arithmetic is right, the unit is not, and
0.33 is printed where the person wants 33. The sign needs no model: the question
asks for a percentage, the value lies in (0, 1], and the program never writes
100, so nothing in it could have made a percentage. Then the value is shown
times 100. A program that writes 100 (``* 100``, ``/ 100``) is left alone, so
a real answer below 1% ("0.5% of the budget") stays as computed.
"""

from __future__ import annotations

import re

from .numbers import program_literals

__all__ = ["asks_for_percentage", "percent_for_proportion"]

# The question asks for a percentage (not merely mentions one: "a 20% discount").
_ASKS_PERCENT = re.compile(
    r"\bwhat\s+(?:is\s+the\s+)?percent(?:age)?\b|\bhow\s+many\s+percent\b|"
    r"\bpercentage\s+(?:chance|probability)\b|\b(?:as|in)\s+(?:a\s+)?percent(?:age)?\b|"
    r"몇\s*(?:퍼센트|%|프로)|백분율", re.IGNORECASE)


def asks_for_percentage(question: str) -> bool:
    return bool(_ASKS_PERCENT.search(question))


def percent_for_proportion(question: str, code: str, value: str | None) -> str | None:
    """``value`` as a percentage when it is a proportion the question wants in percent
    (see the module's docstring), else None."""
    if value is None or not asks_for_percentage(question):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    literals = program_literals(code)
    if not 0 < number <= 1 or literals is None or 100.0 in literals:
        return None
    percent = float(format(number * 100, ".12g"))
    return str(int(percent)) if percent.is_integer() else str(percent)
