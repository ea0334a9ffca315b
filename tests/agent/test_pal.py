"""PAL logic with a scripted model: code extraction, harness, retry, failure categories."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lamp.agent.backend import Sampling
from lamp.agent.events import CodeRun, FinalAnswer, Notice
from lamp.agent.pal import HARNESS, extract_code, format_value, solve
from lamp.agent.testing import ScriptedBackend


@dataclass
class FakeRun:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    timed_out: bool = False
    seconds: float = 0.01
    layers: tuple[str, ...] = ("L0",)


def fake_executor(*results: FakeRun):
    calls: list[str] = []
    queue = list(results)

    def run(code: str) -> FakeRun:
        calls.append(code)
        return queue.pop(0)

    return run, calls


def finish(events: list) -> dict:
    return next(e for e in events if isinstance(e, FinalAnswer)).steps[0]


@pytest.mark.parametrize("reply, expected", [
    ("```python\ndef solution():\n    return 4\n```", "def solution():\n    return 4"),
    ("Sure!\n```py\nx = 1\nprint(x)\n```\nDone.", "x = 1\nprint(x)"),
    ("```\ndef solution():\n    return 2\n```", "def solution():\n    return 2"),
    ("```python\ndef solution():\n    return 5\n", "def solution():\n    return 5"),  # unclosed
    ("Here you go: def solution():\n    return 6", "def solution():\n    return 6"),
    ("The answer is seven.", ""),
])
def test_extract_code(reply: str, expected: str) -> None:
    assert extract_code(reply) == expected


def test_format_value_prefers_returned_value_over_prints() -> None:
    stdout = "debug 1\n@@lamp-pal-result@@ 74\n"
    assert format_value(stdout) == ("debug 1", "74")
    # No return value: the last printed line is the answer.
    assert format_value("x\nanswer 12\n@@lamp-pal-result@@ None\n") == ("x\nanswer 12",
                                                                        "answer 12")
    assert format_value("") == ("", None)


def test_success_first_try() -> None:
    backend = ScriptedBackend().enqueue("```python\ndef solution():\n    return 200 - 93\n```")
    run, calls = fake_executor(FakeRun(stdout="@@lamp-pal-result@@ 107\n"))
    events = list(solve(backend, "q?", run, Sampling(temperature=0)))
    outcome = finish(events)
    assert outcome["value"] == "107" and outcome["retries"] == 0 and outcome["failure"] is None
    assert calls[0].endswith(HARNESS) and "200 - 93" in calls[0]
    assert sum(isinstance(e, CodeRun) for e in events) == 1
    sampling = backend.requests[0][1]
    assert "\n```\n" in sampling.stop  # stop after the code block


def test_exception_gets_one_retry_with_the_traceback() -> None:
    backend = ScriptedBackend().enqueue(
        "```python\ndef solution():\n    return 1 / 0\n```",
        "```python\ndef solution():\n    return 3\n```",
    )
    run, _ = fake_executor(
        FakeRun(stderr="Traceback...\nZeroDivisionError: division by zero", exit_code=1),
        FakeRun(stdout="@@lamp-pal-result@@ 3\n"),
    )
    events = list(solve(backend, "q?", run, Sampling()))
    outcome = finish(events)
    assert outcome["value"] == "3" and outcome["retries"] == 1
    retry_prompt = backend.requests[1][0][-1].content
    assert "ZeroDivisionError" in retry_prompt
    assert any(isinstance(e, Notice) for e in events)


@pytest.mark.parametrize("second, failure", [
    (FakeRun(stderr="NameError: x", exit_code=1), "exception"),
    (FakeRun(timed_out=True, exit_code=137), "timeout"),
])
def test_gives_up_after_one_retry(second: FakeRun, failure: str) -> None:
    backend = ScriptedBackend().enqueue("```python\nboom()\n```", "```python\nboom()\n```")
    run, calls = fake_executor(FakeRun(stderr="NameError", exit_code=1), second)
    outcome = finish(list(solve(backend, "q?", run, Sampling())))
    assert outcome["value"] is None and outcome["failure"] == failure and len(calls) == 2


def test_no_code_is_a_failure_without_running_anything() -> None:
    backend = ScriptedBackend().enqueue("I think it is about 12.")
    run, calls = fake_executor()
    outcome = finish(list(solve(backend, "q?", run, Sampling())))
    assert outcome["failure"] == "no code" and calls == []
