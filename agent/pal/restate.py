"""A Korean word problem restated in English before the program is written.

The default model sets up English problems far better than the same problems in
Korean (docs/pal.md): it writes `12 - 7` for "사과 12개가 든 상자가 7개" but the
right product for "7 boxes, each holding 12 apples". Translating is a task it
does well when told what to keep, so a problem written mostly in Hangul is first
restated in English, and the program is written for the restatement with the
original beside it.

A translation can drop or change a fact. The restatement is used only when every
number the original writes in digits appears in it with the same amount (as
itself, or with its scale or percent read: 3만 as 30,000, 20% as 0.2; not in
another unit, so "8조각" as "8,000 slices" fails); otherwise the program is
written for the original alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..framing import neutralize
from ..language import detect_language
from ..models import Backend, Message, Sampling, complete, worked_turns
from .numbers import given_numbers

__all__ = ["Restatement", "mostly_korean", "restate", "restated_question"]

_SYSTEM = (
    "You translate math word problems from Korean into plain English for a programmer. "
    "Keep every number exactly as written, with its unit or currency, and say plainly "
    "what each number counts and what it belongs to (groups of things, rates, parts of "
    "a whole). Reply with the English problem only."
)
# Our own worked cases: grouped counts, a fraction of money, a rate over time. None is
# from a benchmark set.
_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("귤이 15개씩 든 봉지가 4개 있고, 그중 9개를 먹었습니다. 남은 귤은 몇 개인가요?",
     "There are 4 bags, each holding 15 tangerines. 9 tangerines were eaten. How many "
     "tangerines are left?"),
    ("민지는 용돈 20,000원의 4분의 1로 모자를 사고, 남은 돈에서 3,500원을 썼습니다. 남은 돈은 "
     "얼마인가요?",
     "Minji had an allowance of 20,000 won. She spent one quarter (1/4) of it on a hat, "
     "then spent 3,500 won of the money left. How many won does she have left?"),
    ("물탱크에 1분에 2.5리터씩 물이 찹니다. 1시간 12분 동안 찬 물은 몇 리터인가요?",
     "Water fills a tank at 2.5 liters per minute. How many liters fill it in 1 hour and "
     "12 minutes?"),
)


def mostly_korean(text: str) -> bool:
    """Whether ``text`` is written in Korean (agent/language.py decides by script)."""
    return detect_language(text) == "Korean"


@dataclass(frozen=True)
class Restatement:
    """The English restatement, whether it kept every number, and what it cost."""

    text: str
    kept_numbers: bool
    missing: tuple[str, ...]
    seconds: float


def _amounts(text: str) -> set[float]:
    """Every amount the numbers written in ``text`` state (numbers.GivenNumber)."""
    return {v for n in given_numbers(text) for v in n.amounts}


def restate(backend: Backend, question: str, sampling: Sampling) -> Restatement:
    """Translate ``question`` (greedy), and check its numbers against the original."""
    messages = [Message("system", _SYSTEM), *worked_turns(_EXAMPLES),
                 Message("user", question.strip())]
    if backend.capabilities.warm_prefix:
        backend.warm_prefix(messages[:-1])
    pick = replace(sampling, temperature=0.0, max_tokens=300, stop=())
    text, usage = complete(backend, messages, pick)
    text = text.strip()
    found = _amounts(text)
    missing = tuple(n.text for n in given_numbers(question)
                    if not n.stated_in(found))
    return Restatement(text, bool(text) and not missing, missing, usage.seconds_total)


def restated_question(question: str, restatement: Restatement) -> str:
    """What the program is written for: the English restatement, then the original."""
    # The restatement is model output that may echo a hostile problem: no chat-template
    # control tokens or frame markers reach the program's prompt through it.
    return f"{neutralize(restatement.text)}\n\n(Original, in Korean: {question.strip()})"
