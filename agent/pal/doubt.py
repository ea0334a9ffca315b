"""When is one greedy program's answer worth more programs?

Drawing five programs for every question and voting (self-consistency) buys a
few points at about four times the time. Most of that time goes to questions
the greedy program already gets right, so ``lamp pal`` spends it only where
the first answer is in doubt, on signs it already has and that need no model
to read:

- the first program failed and had to be retried;
- the second look fired (a negative value nothing suggests, a number of the
  question left out: agent/pal/solve.py);
- no program ran to a value at all;
- the value is not a number;
- the value is not a whole number although the question counts things ("how
  many students", "몇 명"), or it has more decimals than any quantity a word
  problem is asked in (33.333...: usually a division that should not be);
- the model was unsure of the program's arithmetic: a number or operator of its
  code (not of a comment) was its greedy choice with a chance below
  ``UNSURE_BELOW``, so another number or operation weighed nearly as much. Names
  are left out: the model is often torn between two names for the same value,
  which says nothing about the answer. Only where the backend reports token
  chances (the in-process model does).

Each sign comes back as a sentence, which ``--json`` shows under ``doubts``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import TokenChance

__all__ = ["DRAWS", "UNSURE_BELOW", "as_number", "counts_things", "doubts",
           "least_sure_arithmetic"]

# Sampled programs drawn at most for a doubted answer: two that agree with it end the
# vote early, so a doubt costs two to four more programs.
DRAWS = 4

# "how many" followed (within two words) by a measure, which may rightly be fractional.
_MEASURE = (r"hours?|minutes?|seconds?|days?|weeks?|months?|years?|miles?|kilometers?|"
            r"kilometres?|km|meters?|metres?|feet|foot|inch(?:es)?|yards?|pounds?|lbs?|"
            r"kilograms?|kg|grams?|ounces?|oz|liters?|litres?|gallons?|cups?|quarts?|pints?|"
            r"dollars?|cents?|euros?|percent|percentage|degrees?|square|cubic|acres?|"
            r"hectares?|servings?|laps?|times")
_HOW_MANY = re.compile(r"\bhow\s+many\b(?!(?:\s+\w+){0,2}?\s+(?:" + _MEASURE + r")\b)", re.I)
# Korean counters of whole things: 몇 개, 몇 명, 몇 마리 ... (not 몇 시간, 몇 킬로미터).
_KO_COUNT = re.compile(r"몇\s*(?:개|명|마리|권|자루|대|장|송이|그루|켤레|병|잔|층|쪽|척|벌|"
                       r"통|봉지|상자|묶음|가지|곳|채|개비|알|판|조각|팀|반|줄|칸)")
# More decimals than money or a measured amount is stated in.
MAX_DECIMALS = 2
# A number or operator chosen with less than even odds marks an unsure program. Chosen
# on half a of GSM8K dev's first 100 (docs/models.md, session 23): the most wrong first
# programs flagged while flagging at most a sixth of the items.
UNSURE_BELOW = 0.5
_ARITHMETIC = re.compile(r"[\d+\-*/%()]")


def as_number(value: str) -> float | None:
    """A program's value as a number ("1,200" and "$3.50" too), or None if it is not one."""
    try:
        return float(value.replace(",", "").replace("$", ""))
    except ValueError:
        return None


def _decimals(value: str) -> int:
    text = value.replace(",", "").strip()
    if "e" in text.lower() or "." not in text:
        return 0
    return len(text.split(".", 1)[1].rstrip("0"))


def counts_things(question: str) -> bool:
    """Whether the question asks for a count of whole things."""
    return bool(_HOW_MANY.search(question) or _KO_COUNT.search(question))


def least_sure_arithmetic(chances: Sequence[TokenChance]) -> TokenChance | None:
    """The number or operator token of the reply's code block chosen with the least
    chance, leaving out comments, the fences and the ``def`` line; None when the code
    has no such token."""
    text = "".join(t.text for t in chances)
    opened = text.find("```")
    if opened < 0:
        return None
    body = text.find("\n", opened) + 1
    closed = text.find("```", body)
    end = closed if closed >= 0 else len(text)
    least, at = None, 0
    for token in chances:
        start, at = at, at + len(token.text)
        stripped = token.text.strip()
        if start < body or start >= end or not _ARITHMETIC.search(stripped):
            continue
        first = start + len(token.text) - len(token.text.lstrip())
        line_start = text.rfind("\n", 0, first) + 1
        before = text[line_start:first]
        if ("#" in before or stripped.startswith("#")
                or text[line_start:].lstrip().startswith("def ")):
            continue
        if least is None or token.chance < least.chance:
            least = token
    return least


def doubts(question: str, value: str | None, *, retried: bool = False,
           second_look: str | None = None, unsure: TokenChance | None = None) -> list[str]:
    """Why the answer ``value`` (None: no program gave one) may be wrong; empty when
    nothing speaks against it. ``unsure`` is the first program's least sure number or
    operator (``least_sure_arithmetic``)."""
    reasons = []
    if retried:
        reasons.append("the first program failed and was retried")
    if second_look:
        reasons.append(f"a second look was needed: {second_look}")
    if unsure is not None and unsure.chance < UNSURE_BELOW:
        reasons.append(f"the model was unsure of the program's arithmetic "
                       f"({unsure.text.strip()!r} had a chance of {unsure.chance:.2f})")
    if value is None:
        reasons.append("no program ran to a value")
        return reasons
    number = as_number(value)
    if number is None:
        reasons.append(f"the value {value!r} is not a number")
    elif number == number and abs(number) != float("inf") and not number.is_integer():
        if counts_things(question):
            reasons.append(f"the value {value} is not a whole number, though the question "
                           "counts things")
        elif _decimals(value) > MAX_DECIMALS:
            reasons.append(f"the value {value} has more decimals than the question's "
                           "quantities")
    return reasons
