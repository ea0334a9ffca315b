"""The BFCL scorer used by benchmarks/tools_bfcl.py follows the data README's rules."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bfcl_common import score_call, to_json_schema

TRUTH = [{"calculate_roi": {"deposit": [1000], "annual_interest_rate": [0.03],
                            "years": [1], "currency": ["USD", ""]}}]


def test_exact_call_passes_and_int_counts_as_float() -> None:
    assert score_call(("calculate_roi", {"deposit": 1000.0, "annual_interest_rate": 0.03,
                                         "years": 1}), TRUTH) == (True, "ok")


def test_strings_compare_without_case_spaces_or_punctuation() -> None:
    truth = [{"f": {"city": ["New York, NY"]}}]
    assert score_call(("f", {"city": "new york ny"}), truth)[0]


def test_failures_say_why() -> None:
    assert score_call(("other", {}), TRUTH) == (False, "wrong function other")
    assert score_call(("calculate_roi", {"deposit": 1000, "years": 1}), TRUTH)[1] == (
        "missing annual_interest_rate")
    call = ("calculate_roi", {"deposit": 1000, "annual_interest_rate": 3, "years": 1})
    assert not score_call(call, TRUTH)[0]
    call = ("calculate_roi", {"deposit": 1000, "annual_interest_rate": 0.03, "years": 1, "x": 1})
    assert score_call(call, TRUTH) == (False, "unknown parameter x")
    assert score_call(None, TRUTH) == (False, "no call")


def test_irrelevance_passes_only_without_a_call() -> None:
    assert score_call(None, None) == (True, "ok")
    assert not score_call(("f", {}), None)[0]


def test_schema_types_are_mapped() -> None:
    schema = to_json_schema({"type": "dict", "properties": {
        "x": {"type": "float"}, "pair": {"type": "tuple", "items": {"type": "integer"}},
        "anything": {"type": "any"}}, "required": ["x", "ghost"]})
    assert schema["type"] == "object" and schema["properties"]["x"]["type"] == "number"
    assert schema["properties"]["pair"]["type"] == "array"
    assert "type" not in schema["properties"]["anything"]
    assert schema["required"] == ["x"]  # a required name with no property is dropped
