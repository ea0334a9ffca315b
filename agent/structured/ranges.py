"""Numeric bounds as GBNF: the decimal spellings of the integers in ``[lo, hi]``.

A grammar sees characters, not values, so ``"minimum": 0`` becomes "no minus
sign" and ``"maximum": 120`` becomes "one or two digits, or 1 then 0-1 then a
digit, or 120": the digit-by-digit split regex engines use for ranges. Open
ends stop at 18 digits, as lamp's ``integer`` rule does. A ``number`` keeps its
integer part in range and may add a fraction (no exponent), which is a little
wider than the bounds; validation decides the rest.
"""

from __future__ import annotations

import math

__all__ = ["DIGITS", "integer_bounds", "integer_range", "number_range"]

DIGITS = 18  # most digits of an integer (or of a number's integer part) in a grammar
_LARGEST = 10**DIGITS - 1


def integer_bounds(schema: dict[str, object]) -> tuple[int | None, int | None]:
    """The inclusive integer bounds ``schema`` sets (None: open); draft-4 boolean
    ``exclusiveMinimum``/``exclusiveMaximum`` are left to validation."""
    lo = hi = None
    for key, value in schema.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value) or abs(value) > _LARGEST:
            continue
        if key == "minimum":
            lo = _tighter(lo, math.ceil(value), max)
        elif key == "exclusiveMinimum":
            lo = _tighter(lo, math.floor(value) + 1, max)
        elif key == "maximum":
            hi = _tighter(hi, math.floor(value), min)
        elif key == "exclusiveMaximum":
            hi = _tighter(hi, math.ceil(value) - 1, min)
    return lo, hi


def _tighter(old: int | None, new: int, pick: object) -> int:
    return new if old is None else pick(old, new)  # type: ignore[operator]


def integer_range(lo: int | None, hi: int | None) -> str | None:
    """A GBNF expression for the integers in ``[lo, hi]`` (None: open); None when empty."""
    lo = -_LARGEST if lo is None else max(lo, -_LARGEST)
    hi = _LARGEST if hi is None else min(hi, _LARGEST)
    if lo > hi:
        return None
    alternatives = []
    if lo < 0:
        negative = _natural(-min(hi, -1), -lo)
        alternatives.append(f'"-" {_group(negative)}')
    if hi >= 0:
        alternatives += _natural(max(lo, 0), hi)
    return _group(alternatives)


def number_range(schema: dict[str, object]) -> str | None:
    """A number whose integer part is within the schema's bounds, with an optional
    fraction; None when the schema sets no bound (the plain ``number`` rule then)."""
    lo = hi = None
    for key in ("minimum", "exclusiveMinimum"):
        value = schema.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and abs(value) <= _LARGEST:
            lo = value if lo is None else max(lo, value)
    for key in ("maximum", "exclusiveMaximum"):
        value = schema.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value) and abs(value) <= _LARGEST:
            hi = value if hi is None else min(hi, value)
    if lo is None and hi is None:
        return None
    # The integer part of x is trunc(x): floor for x >= 0, ceil below.
    low = None if lo is None else (math.floor(lo) if lo > 0 else math.ceil(lo))
    high = None if hi is None else (math.floor(hi) if hi >= 0 else math.ceil(hi))
    whole = integer_range(low, high)
    parts = [whole] if whole is not None else []
    if (lo is None or lo < 0) and (hi is None or hi > -1):
        parts.append('"-0"')  # -0.5 is written with the integer part -0
    if not parts:
        return None
    return f'{_group(parts)} ( "." [0-9]{{1,{DIGITS - 1}}} )?'


def _natural(a: int, b: int) -> list[str]:
    """Alternatives for the naturals in ``[a, b]`` (no leading zeros)."""
    alternatives = []
    full: list[int] = []  # digit counts covered whole: merged into one alternative
    for length in range(len(str(a)), len(str(b)) + 1):
        low = max(a, 10 ** (length - 1) if length > 1 else 0)
        high = min(b, 10**length - 1)
        if low > high:
            continue
        if length > 1 and low == 10 ** (length - 1) and high == 10**length - 1:
            full.append(length)
            continue
        alternatives.append(_same_length(str(low), str(high)))
    if full:
        first, last = full[0], full[-1]
        count = f"{{{first - 1}}}" if first == last else f"{{{first - 1},{last - 1}}}"
        alternatives.append(f"[1-9] [0-9]{count}")
    return alternatives


def _same_length(low: str, high: str) -> str:
    """The digit strings of one length from ``low`` to ``high``."""
    if low == high:
        return f'"{low}"'
    rest = len(low) - 1
    tail = f" [0-9]{{{rest}}}" if rest else ""
    if low[0] == high[0]:
        return f'"{low[0]}" {_same_length(low[1:], high[1:])}'
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return f"[{low[0]}-{high[0]}]{tail}"
    alternatives = []
    first, last = int(low[0]), int(high[0])
    if low[1:] != "0" * rest:
        alternatives.append(f'"{low[0]}" {_same_length(low[1:], "9" * rest)}')
        first += 1
    tail_high = high[1:] != "9" * rest
    if tail_high:
        last -= 1
    if first <= last:
        alternatives.append(f"[{first}-{last}]{tail}")
    if tail_high:
        alternatives.append(f'"{high[0]}" {_same_length("0" * rest, high[1:])}')
    return _group(alternatives)


def _group(alternatives: list[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "( " + " | ".join(alternatives) + " )"
