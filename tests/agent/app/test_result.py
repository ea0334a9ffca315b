"""Run and RunResult: every run's events folded into one result, in one place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lamp.agent.app.result import Run, RunResult
from lamp.agent.errors import InvalidOutput, StepLimitReached
from lamp.agent.events import Event, FinalAnswer, Notice, Observation, TextDelta, ToolCall, Usage
from lamp.agent.records import StepRecord

USAGE = Usage(3, 2, 0.1, 0.2, "stop")
STEP = StepRecord(step=1, kind="action", raw="call", first_token_s=0.0, model_s=0.0,
                  tool="calculator", input={"expression": "6*7"}, observation="42")


def test_absorb_folds_text_usage_and_the_final_answer() -> None:
    result = RunResult()
    for event in [TextDelta("Hello"), TextDelta(" there"), USAGE, ToolCall("calculator", {}),
                  Observation("calculator", "42"), FinalAnswer("Hello there", [STEP])]:
        result.absorb(event)
    assert (result.text, result.answer, result.usage) == ("Hello there", "Hello there", USAGE)
    assert result.final == FinalAnswer("Hello there", [STEP])
    assert result.steps == [STEP]


def test_warnings_are_recorded_once_each_and_other_notices_not_at_all() -> None:
    result = RunResult(notices=["stdin is not valid UTF-8"])
    for event in [Notice("input truncated"), Notice("stdin is not valid UTF-8"),
                  Notice("input truncated"), Notice("prefix cache: hit", level="debug"),
                  Notice("no Landlock")]:
        result.absorb(event)
    assert result.notices == ["stdin is not valid UTF-8", "input truncated", "no Landlock"]


def test_a_result_without_a_final_answer_has_no_steps() -> None:
    result = RunResult()
    result.absorb(TextDelta("partial"))
    assert (result.answer, result.final, result.steps) == ("", None, [])


def _stopping(details_steps: list[StepRecord]) -> Iterator[Event]:
    yield TextDelta("thinking")
    yield USAGE
    raise StepLimitReached("stopped after 1 steps without a final answer",
                           partial_answer="42 (from calculator)", steps=details_steps)


def test_a_step_limit_ends_the_run_with_its_partial_answer_and_steps() -> None:
    finished: list[RunResult] = []
    run = Run(_stopping([STEP]), RunResult(details={"tools": ["calculator"]}),
              finish=finished.append)
    events = list(run)  # does not raise
    assert events == [TextDelta("thinking"), USAGE]
    result = run.result
    assert result.stopped == "step limit"
    assert isinstance(result.error, StepLimitReached)
    assert str(result.error) == "stopped after 1 steps without a final answer"
    assert result.answer == "42 (from calculator)"
    assert result.details["steps"] == [STEP]
    assert result.usage == USAGE and result.ended is not None
    assert finished == []  # nothing to validate: the run has no answer of its own


def test_a_step_limit_outside_a_tool_run_adds_no_steps() -> None:
    result = Run(_stopping([STEP])).consume()
    assert result.stopped == "step limit" and "steps" not in result.details


def test_finish_runs_once_after_the_last_event() -> None:
    seen: list[Event] = []
    calls: list[int] = []

    def events() -> Iterator[Event]:
        for event in [TextDelta("a"), TextDelta("b"), FinalAnswer("ab")]:
            seen.append(event)
            yield event

    run = Run(events(), finish=lambda result: calls.append(len(seen)))
    shown = []
    for event in run:
        shown.append(event)
        assert calls == []
    assert calls == [3] and len(shown) == 3
    assert run.result.answer == "ab" and run.result.ended is not None


def test_finish_does_not_run_for_a_run_left_early() -> None:
    calls: list[RunResult] = []
    run = Run(iter([TextDelta("a"), TextDelta("b")]), finish=calls.append)
    for _ in run:
        break
    assert calls == []


def test_finish_may_raise_after_every_event_is_shown() -> None:
    def validate(result: RunResult) -> None:
        raise InvalidOutput(f"the answer is not valid JSON: {result.answer!r}")

    run = Run(iter([TextDelta("nope"), FinalAnswer("nope")]), finish=validate)
    shown: list[Event] = []
    with pytest.raises(InvalidOutput, match="not valid JSON: 'nope'"):
        for event in run:
            shown.append(event)
    assert shown == [TextDelta("nope"), FinalAnswer("nope")]
    assert run.result.answer == "nope"


def test_finish_completes_the_result() -> None:
    def parse(result: RunResult) -> None:
        result.answer = {"n": int(result.answer)}

    assert Run(iter([FinalAnswer("7")]), finish=parse).consume().answer == {"n": 7}


def test_other_errors_escape_the_run() -> None:
    def failing() -> Iterator[Event]:
        yield TextDelta("a")
        raise InvalidOutput("model failed")

    with pytest.raises(InvalidOutput):
        Run(failing()).consume()


def test_close_stops_the_generator_where_it_is() -> None:
    stopped: list[str] = []

    def generating() -> Iterator[Event]:
        try:
            for word in ["once", " upon", " a", " time"]:
                yield TextDelta(word)
        finally:
            stopped.append("closed")

    run = Run(generating())
    iterator = iter(run)
    assert next(iterator) == TextDelta("once")
    run.close()
    assert stopped == ["closed"]
    assert run.result.text == "once"


def test_close_of_a_plain_iterator_is_harmless() -> None:
    run = Run(iter([TextDelta("a")]))
    run.close()
    assert run.consume().text == "a"


def test_total_s_counts_to_the_end_of_the_run() -> None:
    result = RunResult(started=10.0, ended=12.5)
    assert result.total_s == 2.5
    assert RunResult().total_s >= 0
