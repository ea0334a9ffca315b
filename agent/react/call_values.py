"""Which numbers in a tool call did nobody give? A check run before a call is made.

Offered a function that does not fit, a small model still calls it, and to do
so it makes up the values the function needs: 20 degrees Celsius for a
question about horror films, a mutation rate of 0.01 for "How can I apply
evolutionary algorithms in games?". An answer computed from an invented
quantity is wrong however well the tool works. Numbers are where this is
checkable without a model: a value the user wanted used appears in what they
wrote (or in an earlier tool result), give or take its spelling ("213 million",
"3%", "1e-9", "twelve", "3만 원", "두 명", "next week" as 7 days). Strings are
not checked: names, places, programs and shell commands are rightly composed
by the model, and "British pounds" -> "GBP" is knowledge, not invention.

What this misses, by design: numbers that follow from knowledge rather than
the text (52 cards in a deck, 4 kings in it) count as not given, and a call
that needs them is answered without the tool. Time is the one kind of
knowledge read in, being the commonest: spans ("the next week" gives 7 days,
"3 minutes" 180 seconds), recurrences ("compounded quarterly" gives 4 a year)
and afternoon clock times ("6:30 PM" gives hour 18). docs/tools.md has the
measured trade.

One kind of string is checked: an arithmetic expression a tool takes as its
input (``Tool.given_numbers``, the calculator's). Its numbers are the call's
values as much as a number argument's are, except those arithmetic brings by
itself: 0, 1, 2, 10, 100 (a percentage), 1000 and the clock and calendar's 7,
12, 24, 52, 60, 365 and 3600.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["not_given_note", "numbers_in", "unsupported_numbers"]

_SCALE_WORDS = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6,
                "billion": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12}
_ENGLISH = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 1e6, "billion": 1e9, "dozen": 12, "half": 0.5, "quarter": 0.25,
    "decade": 10, "century": 100, "double": 2, "twice": 2, "triple": 3, "once": 1,
    "single": 1, "pair": 2, "couple": 2,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}
# Sino-Korean place values written after digits: 3만 = 30,000, 1.5억 = 150,000,000.
_KOREAN_UNITS = {"십": 10, "백": 100, "천": 1000, "만": 1e4, "억": 1e8, "조": 1e12}
# Native Korean counts, recognised only before a counter word ("두 명", "세 개"): on
# their own most of these syllables are ordinary words.
_KOREAN_NATIVE = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4,
                  "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
                  "스무": 20, "스물": 20}
_KOREAN_COUNTERS = ("개", "명", "마리", "권", "잔", "병", "번", "살", "장", "대", "시간",
                    "달", "주", "사람", "가지", "쌍", "켤레", "그릇", "송이")

# A span of time names its length in smaller units too: "next week" is 7 days, "over
# 30 years" 360 months. (English words, Korean words, factors from the unit to itself
# and to each smaller unit.)
_SPANS = (
    ("weeks?", "주일|주", (1, 7, 168)),
    ("fortnights?", "", (1, 14)),
    ("months?", "개월|달", (1, 4, 30, 31)),
    ("years?", "년|해", (1, 12, 52, 365)),
    ("days?", "일", (1, 24, 1440)),
    ("hours?", "시간", (1, 60, 3600)),
    ("minutes?", "분", (1, 60)),
)
# How often something recurs gives its count per larger unit: "compounded quarterly" is 4
# times a year, "paid weekly" 52, "hourly" 24 a day. (Pattern, counts.)
_FREQUENCIES = (
    (r"\bhourly\b", (24,)),
    (r"\bdaily\b|매일", (365,)),
    (r"\b(?:weekly|every week)\b|매주", (52,)),
    (r"\b(?:bi-?weekly|fortnightly)\b|격주", (26,)),
    (r"\b(?:monthly|every month)\b|매월|매달|월별", (12,)),
    (r"\bquarterly\b|분기", (4,)),
    (r"\b(?:semi-?annual(?:ly)?|bi-?annual(?:ly)?|half-yearly)\b|반기", (2,)),
)
# A clock time after noon, as a 24-hour clock writes it: "6:30 PM" is hour 18.
_AFTERNOON = re.compile(r"(?<![\d:])(\d{1,2})(?::\d{2})?\s*(?:pm\b|p\.m\.)|오후\s*(\d{1,2})\s*시",
                        re.IGNORECASE)
_ONE = "next|last|this|past|coming|previous|following|a|an|one|per|each|every"
# Alone, those Korean syllables are ordinary words; a span without a count is only
# one of these phrases (by the index of its unit above).
_KOREAN_SPAN_PHRASES = {0: ("다음 주", "이번 주", "매주"),
                        2: ("다음 달", "이번 달", "매달", "매월"),
                        3: ("내년", "올해", "매년"), 4: ("매일", "하루")}

_NUMBER = re.compile(
    r"(?<![\w.])(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"(\s*(?:thousand|million|billion|trillion|bn|mn|[kKmMbB](?![a-zA-Z]))"
    r"|[십백천만억조]+)?")
_PERCENT = re.compile(r"\s*(?:%|percent\b|per cent\b|퍼센트|프로)", re.IGNORECASE)
_KOREAN_COUNT_WORDS = "|".join(sorted(_KOREAN_NATIVE, key=len, reverse=True))  # longest first
_KOREAN_COUNT = re.compile(
    r"(?<![가-힣])(" + _KOREAN_COUNT_WORDS + r")\s*(?:" + "|".join(_KOREAN_COUNTERS) + ")")


def numbers_in(text: str) -> set[float]:
    """Every number ``text`` states, in the forms a call might use it: as written, with
    its scale word applied, without its sign, a percentage as a fraction and a
    fraction as a percentage."""
    found: set[float] = set()
    # "1,200" is one number; "[200,300,400]" is three: read both ways.
    for variant in {text, re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)}:
        for match in _NUMBER.finditer(variant):
            value = float(match.group(1))
            scale = (match.group(2) or "").strip()
            values = {value, abs(value)}
            if scale:
                factor = (math.prod(_KOREAN_UNITS[c] for c in scale) if scale[0] in _KOREAN_UNITS
                          else _SCALE_WORDS[scale.lower()])
                values |= {value * factor, abs(value) * factor}
            if _PERCENT.match(variant, match.end()):
                values |= {v / 100 for v in values}  # 5% may be passed as 0.05
            elif abs(value) <= 1 and not scale:
                values |= {v * 100 for v in values}  # and 0.05 as 5 (percent)
            found |= values
    lowered = text.lower()
    for word, value in _ENGLISH.items():
        if re.search(rf"\b{word}\b", lowered):
            found.add(float(value))
    for match in _KOREAN_COUNT.finditer(text):
        found.add(float(_KOREAN_NATIVE[match.group(1)]))
    found |= _span_lengths(text)
    for pattern, counts in _FREQUENCIES:
        if re.search(pattern, lowered):
            found |= {float(c) for c in counts}
    for match in _AFTERNOON.finditer(text):
        hour = int(match.group(1) or match.group(2))
        if 1 <= hour < 12:
            found.add(float(hour + 12))
    return found


def _span_lengths(text: str) -> set[float]:
    """Lengths that spans of time in ``text`` give in smaller units."""
    found: set[float] = set()
    lowered = text.lower()
    for index, (english, korean, factors) in enumerate(_SPANS):
        units = f"{english}|{korean}" if korean else english
        # "3 weeks", "3주", "두 달": the count times each factor.
        counted = rf"(\d+(?:\.\d+)?|{_KOREAN_COUNT_WORDS})\s*(?:{units})(?![a-z])"
        for match in re.finditer(counted, lowered):
            count = match.group(1)
            n = float(count) if count[0].isdigit() else float(_KOREAN_NATIVE[count])
            found |= {n * f for f in factors}
        # "the next week", "per month", "다음 달": one unit.
        if re.search(rf"\b(?:{_ONE})\s+(?:{english})\b", lowered) or any(
                phrase in text for phrase in _KOREAN_SPAN_PHRASES.get(index, ())):
            found |= {float(f) for f in factors}
    return found


def _stated(value: float, stated: set[float]) -> bool:
    return any(math.isclose(value, s, rel_tol=1e-9, abs_tol=1e-12) for s in stated)


def _numbers(value: Any, schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    """(path, number) for each number in ``value`` that its schema does not fix: values
    from an enum or equal to the declared default are the tool's own, not invented."""
    if isinstance(value, bool):
        return
    if "enum" in schema or ("default" in schema and schema["default"] == value):
        return
    if isinstance(value, int | float):
        yield path, value
    elif isinstance(value, list):
        items = schema.get("items")
        for i, item in enumerate(value):
            yield from _numbers(item, items if isinstance(items, Mapping) else {},
                                f"{path}[{i}]")
    elif isinstance(value, Mapping):
        props = schema.get("properties")
        props = props if isinstance(props, Mapping) else {}
        for key, item in value.items():
            sub = props.get(key)
            yield from _numbers(item, sub if isinstance(sub, Mapping) else {}, f"{path}.{key}")


# What an expression may use without the request writing it: identities, halves and
# doubles, powers of ten (100 for a percentage), and the clock and calendar.
_EXPRESSION_CONSTANTS = frozenset({0, 1, 2, 10, 100, 1000, 7, 12, 24, 52, 60, 365, 3600})


def _expression_numbers(text: str, path: str) -> Iterator[tuple[str, Any]]:
    """(path, number) for each number literal of an arithmetic expression, leaving out
    the ones arithmetic brings by itself. Text that does not parse yields nothing: the
    tool reports its own error for that."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return
    literals = sorted((node.col_offset, node.value) for node in ast.walk(tree)
                      if isinstance(node, ast.Constant) and isinstance(node.value, int | float)
                      and not isinstance(node.value, bool))
    seen: set[float] = set()
    for _, number in literals:  # in the order written, each once
        if number not in _EXPRESSION_CONSTANTS and number not in seen:
            seen.add(number)
            yield path, number


def unsupported_numbers(args: Mapping[str, Any], schema: Mapping[str, Any],
                        sources: Sequence[str], expressions: Sequence[str] = ()) -> list[str]:
    """``name=value`` for each number in the call's required arguments that none of
    ``sources`` (the request, earlier tool results) states. Empty: nothing invented.
    Optional arguments are the model's own choice and are not checked. ``expressions``
    names string arguments holding arithmetic, whose numbers are checked too."""
    props = schema.get("properties")
    props = props if isinstance(props, Mapping) else {}
    required = [k for k in schema.get("required", []) if k in args]
    stated: set[float] | None = None
    missing: list[str] = []
    for key in required:
        sub = props.get(key)
        value = args[key]
        found = (_expression_numbers(value, key) if key in expressions and isinstance(value, str)
                 else _numbers(value, sub if isinstance(sub, Mapping) else {}, key))
        for path, number in found:
            if stated is None:
                stated = set().union(*(numbers_in(s) for s in sources))
            try:
                size = abs(float(number))  # the sign is often in the words ("2x - 4")
            except OverflowError:  # an integer beyond any float: nobody wrote that
                size = math.inf
            if not _stated(size, stated):
                missing.append(f"{path}={number}")
    return missing


def not_given_note(missing: Sequence[str]) -> str:
    """What the model is told about a call that was held back for ``missing`` values."""
    return (f"Not run: not in the request: {', '.join(missing)}. Call a tool only with "
            "values the request or a tool result states; if a value is missing, answer "
            "without the tool and say what is missing.")
