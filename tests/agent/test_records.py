"""Typed step records print exactly the JSON the CLI always printed (keys and order)."""

from __future__ import annotations

import json

from lamp.agent.records import PalAttemptRecord, PalRecord, StepRecord

HEAD = ["step", "raw", "first_token_s", "model_s"]


def test_each_kind_of_step_has_its_keys_in_order() -> None:
    base = StepRecord(step=1, kind="", raw="r", first_token_s=0.1, model_s=0.2)
    action = StepRecord(**{**vars(base), "kind": "action", "tool": "calculator",
                           "input": {"expression": "1+1"}, "refused": False,
                           "observation": "2"})
    assert list(action.to_dict()) == [*HEAD, "kind", "thought", "tool", "input", "refused",
                                      "observation", "is_error", "tool_s"]
    repeat = StepRecord(**{**vars(action), "kind": "repeat", "refused": None})
    assert "refused" not in repeat.to_dict() and repeat["kind"] == "repeat"
    malformed = StepRecord(**{**vars(base), "kind": "malformed", "is_error": True})
    assert list(malformed.to_dict()) == [*HEAD, "kind", "observation", "is_error", "tool_s"]
    final = StepRecord(**{**vars(base), "kind": "final", "answer": "2", "forced": True,
                          "prefix_cache": "hit", "prefix_s": 0.01})
    assert list(final.to_dict()) == [*HEAD, "prefix_cache", "prefix_s", "kind", "thought",
                                     "answer", "forced"]
    assert "forced" not in StepRecord(**{**vars(final), "forced": False}).to_dict()


def test_records_read_like_their_json() -> None:
    attempt = PalAttemptRecord(program=1, code="c", value="4", stdout="", stderr="",
                               exit_code=0, timed_out=False, seconds=0.1)
    record = PalRecord(question="q", value="4", code="c", stdout="", retries=1, failure=None,
                       programs=2, votes={"4": 1}, sandbox_layers=("L0",),
                       attempts=(attempt,), model_s=1.0, sandbox_s=0.5)
    assert record["timings"] == {"model_s": 1.0, "sandbox_s": 0.5, "doubt_s": 0.0}
    assert record["doubts"] == [] and record["restated"] is None
    assert "value_before_doubt" not in record  # only when more programs were drawn
    assert record.get("failure") is None and record.attempt_count == 2  # programs=2
    assert dict(record) == record.to_dict()
    assert json.loads(json.dumps(record.to_dict()))["attempts"][0]["value"] == "4"
