"""Which of a question's numbers a PAL program leaves out (agent/pal/numbers.py)."""

from __future__ import annotations

import pytest

from lamp.agent.pal.numbers import given_numbers, unused_numbers


def texts(question: str) -> list[str]:
    return list(dict.fromkeys(n.text for n in given_numbers(question)))


def test_numbers_are_read_as_written_in_order_without_ordinals() -> None:
    question = ("In 6th grade Audrey must answer 70% of 1,250 questions; she got 3/4 of the "
                "first 2.5 hours' worth right, on the 2nd try.")
    assert texts(question) == ["70%", "1,250", "3/4", "2.5"]


def test_clock_times_and_a_bare_one_are_not_numbers_to_use() -> None:
    question = ("Vince staples 30 reports every 15 minutes from 8:00 AM until 11:30 AM. "
                "He uses 1 stapler and 0 clips; a 1:3 mix.")
    assert texts(question) == ["30", "15", "3"]


def test_korean_and_english_scale_words_stay_with_their_number() -> None:
    assert texts("2억 원을 3 million 달러와 비교") == ["2억", "3 million"]


def test_a_number_right_after_hangul_is_read() -> None:
    assert texts("사과12개와 배7개, 모델 x2") == ["12", "7"]


@pytest.mark.parametrize(("question", "code", "unused"), [
    # A percentage as itself or as a fraction of one.
    ("A $40 shirt is 25% off. What does it cost?", "return 40 * (1 - 0.25)", []),
    ("A $40 shirt is 25% off. What does it cost?", "return 40 - 40 * 25 / 100", []),
    # ... or as the factor of a rise or a fall.
    ("A $40 shirt is 25% off. What does it cost?", "return 40 * 0.75", []),
    ("Prices rose 5% a year for 3 years from $200.", "return 200 * 1.05 ** 3", []),
    # A fraction as its value or its two parts.
    ("She read 3/4 of 120 pages.", "return 120 * 0.75", []),
    ("She read 3/4 of 120 pages.", "return 120 * 3 / 4", []),
    ("She read 3/4 of 120 pages.", "return 120", ["3/4"]),
    # Thousands separators, decimals, scale words.
    ("A car costs $12,500 and tax is 8.5%.", "return 12500 * 1.085", []),
    ("A car costs $12,500 and tax is 8.5%.", "return 12500 * 1.85", ["8.5%"]),
    ("A car costs $12,500 and tax is 8.5%.", "return 12500 * (1 + 8.5 / 100)", []),
    ("The city has 2 million people; 10% vote.", "return 2_000_000 * 0.1", []),
    ("예산은 3만 원이고 5천 원을 썼다.", "return 30000 - 5000", []),
    ("예산은 3만 원이고 5천 원을 썼다.", "return 30000", ["5천"]),
    # A number converted to another unit: cents to dollars, minutes to hours, km to m.
    ("Each tire costs 25 cents; 6 tires.", "return 6 * 0.25", []),
    ("She ran for 90 minutes at 8 km an hour.", "return 8 * 1.5", []),
    ("The road is 3 km; a stride is 0.75 m.", "return 3000 / 0.75", []),
    ("빵 3개를 1,200원에 샀다. 몇 천 원인가?", "return 3 * 1.2", []),
    # ... but another number is not a unit change of it.
    ("Each tire costs 25 cents; 6 tires.", "return 6 * 0.2", ["25"]),
    # Numbers in a string count (Fraction("3/4"), Decimal("2.5")).
    ("Add 2.5 and 3/4.", "from fractions import Fraction\nreturn 2.5 + Fraction('3/4')", []),
    # What was left out, in the question's order and spelling.
    ("Denise read 10 pages and Daniel 37 pages; today Denise read 5 more than Daniel did "
     "yesterday.", "return 37 + 5 - 37", ["10"]),
])
def test_unused_numbers(question: str, code: str, unused: list[str]) -> None:
    program = "def solution():\n" + "\n".join(f"    {line}" for line in code.splitlines())
    assert unused_numbers(question, program) == unused


def test_a_program_that_does_not_parse_is_not_judged() -> None:
    assert unused_numbers("Add 4 and 5.", "def solution(:\n    return 4") == []


def test_a_question_with_many_numbers_is_data_and_not_checked() -> None:
    question = "Readings: " + ", ".join(str(n) for n in range(11, 21))
    assert unused_numbers(question, "def solution():\n    return 0") == []
