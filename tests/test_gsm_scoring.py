"""How benchmarks/pal_gsm8k.py reads an answer and compares it with the gold value."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from pal_gsm8k import is_right, to_number


def test_the_last_number_counts_with_separators_signs_and_dollars() -> None:
    assert to_number("First 3 apples, then $1,204.50 in all") == 1204.5
    assert to_number("Answer: -42") == -42
    assert to_number("no number here") is None and to_number(None) is None


def test_scientific_notation_is_read_whole() -> None:
    assert to_number("2.39199800125e-06") == 2.39199800125e-06
    assert to_number("7.7e+14") == 7.7e14
    assert is_right("2.39199800125e-06", 2.392e-06)
    assert not is_right("2.39199800125e-06", 2.39)


def test_right_means_within_a_thousandth_as_the_sets_define_it() -> None:
    assert is_right("74.0004", 74) and not is_right("74.01", 74)
    assert is_right("-352886", -352886) and not is_right("352886", -352886)
    # The sets' own convention, tiny golds included: 0 is within 0.001 of 1.2477e-06.
    assert is_right("0.0000012477", 1.2477e-06) and is_right("0", 1.2477e-06)


def test_the_korean_and_english_word_problems_are_the_same_problems() -> None:
    data = Path(__file__).resolve().parents[1] / "benchmarks" / "data"
    sets = {lang: [json.loads(line) for line in
                   (data / f"word_problems_{lang}.jsonl").read_text("utf-8").splitlines()]
            for lang in ("ko", "en")}
    assert len(sets["ko"]) == len(sets["en"]) == 30
    for ko, en in zip(sets["ko"], sets["en"], strict=True):
        assert ko["id"].removeprefix("ko-") == en["id"].removeprefix("en-")
        assert ko["answer"] == en["answer"]
        assert re.search("[가-힣]", ko["question"]) and not re.search("[가-힣]", en["question"])
        # Both versions write their numbers in digits, which PAL's number check reads.
        assert to_number(ko["question"]) is not None and to_number(en["question"]) is not None
