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


def test_defaults_written_as_python_become_json_values_or_notes() -> None:
    schema = to_json_schema({"type": "dict", "properties": {
        "flag": {"type": "boolean", "default": "false"},
        "rounds": {"type": "integer", "default": "3"},
        "tags": {"type": "array", "items": {"type": "string", "default": ["a"]},
                 "default": "None"},
        "kind": {"type": "array", "items": {"type": "string"}, "default": "all",
                 "description": "What to show."}}})
    props = schema["properties"]
    assert props["flag"]["default"] is False and props["rounds"]["default"] == 3
    assert "default" not in props["tags"] and "default" not in props["tags"]["items"]
    assert "default" not in props["kind"] and props["kind"]["description"] == (
        "What to show. (default all)")


def test_a_case_runs_through_lamps_loop_and_its_first_call_is_scored_by_its_own_name(
        tmp_path: Path) -> None:
    import io

    from bench_tools import CaseTools, Function, watch

    from lamp.agent.app.memory import MemoryChoice
    from lamp.agent.app.output import Caller, Output
    from lamp.agent.app.requests import Given, ToolsRequest
    from lamp.agent.app.run import answer
    from lamp.agent.app.runtime import Preloaded, Runtime
    from lamp.agent.models.scripted import ScriptedBackend
    from lamp.agent.react.answer import ToolOptions

    source = CaseTools()
    calls: list[tuple[str, dict]] = []
    names = source.use([Function("calculate_BMI", "Body mass index.", to_json_schema(
        {"type": "dict", "properties": {"weight": {"type": "integer"}},
         "required": ["weight"]}))], lambda name, args: calls.append((name, args)) or "Done.")
    assert names == ["calculate_bmi"]  # lamp's tool-name rule, mapped back below
    backend = ScriptedBackend().enqueue(
        'Thought: compute it.\nAction: calculate_bmi\nAction Input: {"weight": 70}',
        "Thought: done.\nFinal Answer: never asked")
    rt = Runtime({}, Caller(Output(stdout=io.StringIO(), stderr=io.StringIO()),
                            {"LAMP_HOME": str(tmp_path)}, tmp_path),
                 model_source=Preloaded(backend), tool_source=source)
    request = ToolsRequest(Given(prompt="BMI for 70 kg?"), tools=ToolOptions(
        tools=",".join(names), tool_format="react", route=False),
        approve=lambda request: True, memory=MemoryChoice(disabled=True))
    seen = watch(answer(request, rt), source, calls)
    assert seen.ran == ("calculate_BMI", {"weight": 70})
    assert score_call(seen.ran, [{"calculate_BMI": {"weight": [70]}}]) == (True, "ok")
    assert len(backend.replies) == 1  # stopped after the first call: no second step
