"""A proportion returned for a percentage question is shown in percent (agent/pal/percent.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lamp.agent.events import FinalAnswer, Notice
from lamp.agent.models import Sampling, ScriptedBackend
from lamp.agent.pal.percent import asks_for_percentage, percent_for_proportion
from lamp.agent.pal.solve import solve

SPOTS = "A dog has 12 puppies and 4 have spots. What percentage of the puppies have spots?"
MARCUS = ("There is a 50% chance of a substitute and a 40% chance of an extension. What is "
          "the percentage chance that he turns it in?")
KOREAN = "반 학생 25명 중 10명이 안경을 썼습니다. 안경을 쓴 학생은 몇 퍼센트인가요?"


@pytest.mark.parametrize("question, asks", [
    (SPOTS, True),
    (MARCUS, True),
    (KOREAN, True),
    ("Give the share of red cars as a percentage.", True),
    ("How many percent of the votes did she get?", True),
    ("전체에서 차지하는 비율을 백분율로 나타내세요.", True),
    # Mentioning a percentage is not asking for one.
    ("A $40 shirt is 25% off. What does it cost?", False),
    ("가격이 20% 올랐습니다. 지금 가격은 얼마인가요?", False),
    ("What fraction of the class walks to school?", False),
])
def test_which_questions_ask_for_a_percentage(question: str, asks: bool) -> None:
    assert asks_for_percentage(question) is asks


@pytest.mark.parametrize("question, code, value, shown", [
    (SPOTS, "def solution():\n    return 4 / 12", "0.333333333333", "33.3333333333"),
    (MARCUS, "def solution():\n    return 0.5 * (1 - 0.4) * 0.8", "0.24", "24"),
    (KOREAN, "def solution():\n    return 10 / 25", "0.4", "40"),
    (SPOTS, "def solution():\n    return 12 / 12", "1", "100"),
    # Already a percentage, or a program that writes 100: left as computed.
    (SPOTS, "def solution():\n    return 4 / 12 * 100", "33.3333333333", None),
    (SPOTS, "def solution():\n    return 0.5 / 100 * 100", "0.5", None),
    # Not a proportion, not a number, or not a percentage question.
    (SPOTS, "def solution():\n    return 0", "0", None),
    (SPOTS, "def solution():\n    return 'a third'", "a third", None),
    ("What fraction of the puppies have spots? 4 of 12.", "def solution():\n    return 4 / 12",
     "0.333333333333", None),
])
def test_a_proportion_is_shown_in_percent_only_when_the_question_wants_one(
        question: str, code: str, value: str, shown: str | None) -> None:
    assert percent_for_proportion(question, code, value) == shown


def test_pal_answers_in_percent_and_says_why() -> None:
    backend = ScriptedBackend().enqueue("```python\ndef solution():\n    return 10 / 25\n```")

    def run(code: str) -> _Result:
        return _Result(subprocess.run([sys.executable, "-I", "-c", code],
                                      capture_output=True, text=True, timeout=30))

    events = list(solve(backend, KOREAN, run, Sampling(temperature=0)))
    final = next(e for e in events if isinstance(e, FinalAnswer))
    assert final.text == "40"
    record = final.steps[0]
    assert record["value"] == "40" and record["attempts"][0]["value"] == "0.4"
    assert record["value_note"] == "the program's proportion 0.4, in percent"
    assert any(isinstance(e, Notice) and "0.4" in e.message for e in events)


class _Result:
    """What solve needs of a finished run, from a real interpreter's process."""

    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.stdout, self.stderr, self.exit_code = proc.stdout, proc.stderr, proc.returncode
        self.timed_out, self.seconds, self.layers = False, 0.0, ()
