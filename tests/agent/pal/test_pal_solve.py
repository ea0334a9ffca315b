"""PAL logic with a scripted model: code extraction, harness, retry, failure categories."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
from scripted_sandbox import FakeRun, fake_executor

from lamp.agent.events import CodeRun, FinalAnswer, Notice
from lamp.agent.models import Sampling, ScriptedBackend
from lamp.agent.pal.solve import HARNESS, extract_code, format_value, solve, vote_key


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


@pytest.mark.parametrize("returned, printed", [
    ("74.0", "74"),
    ("0.1 + 0.2", "0.3"),                   # float noise is rounded away
    ("1 / 3", "0.333333333333"),
    ("2.392e-06", "2.392e-06"),             # small values keep their exponent
    ("(5562984 + 5562984 / 2) / 5 * (5562984 - 12)", "9284017268534.4"),  # every whole digit
    ("0.30000000000000004 * 1e13", "3000000000000"),
    ("-1234567.891", "-1234567.891"),
    ("Fraction(7, 2)", "3.5"),
    ("'seven'", "seven"),
])
def test_the_harness_prints_the_value_a_real_interpreter_computes(returned: str,
                                                                  printed: str) -> None:
    program = f"from fractions import Fraction\ndef solution():\n    return {returned}\n"
    run = subprocess.run([sys.executable, "-I", "-c", program + HARNESS],
                         capture_output=True, text=True, timeout=30, check=True)
    assert format_value(run.stdout) == ("", printed)


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


def test_a_negative_count_is_checked_once_and_a_corrected_program_wins() -> None:
    backend = ScriptedBackend().enqueue(
        "```python\ndef solution():\n    return 20 - 38\n```",
        "```python\ndef solution():\n    return 38 - 20\n```",
    )
    run, calls = fake_executor(FakeRun(stdout="@@lamp-pal-result@@ -18\n"),
                               FakeRun(stdout="@@lamp-pal-result@@ 18\n"))
    events = list(solve(backend, "Ann had 38 apples and ate 20. How many are left?", run,
                        Sampling(temperature=0)))
    outcome = finish(events)
    assert outcome["value"] == "18" and outcome["retries"] == 1 and len(calls) == 2
    assert backend.requests[1][0][-1].content.endswith("(The answer is zero or more.)")


def test_a_check_that_stays_negative_keeps_the_first_value() -> None:
    backend = ScriptedBackend().enqueue("```python\ndef solution():\n    return -5\n```",
                                        "```python\ndef solution():\n    return -5\n```")
    run, _ = fake_executor(FakeRun(stdout="@@lamp-pal-result@@ -5\n"),
                           FakeRun(stdout="@@lamp-pal-result@@ -5\n"))
    outcome = finish(list(solve(backend, "How many cards are left?", run, Sampling())))
    assert outcome["value"] == "-5" and outcome["retries"] == 1


@pytest.mark.parametrize(("question", "expression"), [
    ("The temperature was 3 degrees and fell by 10. What is it now?", "3 - 10"),
    ("A shop had a loss of $40 on Monday and $25 on Tuesday. What was its profit?", "-40 - 25"),
    ("기온이 2도였다가 9도 내려갔다. 지금 기온은?", "2 - 9"),
])
def test_a_negative_value_where_the_question_allows_one_is_not_questioned(
        question: str, expression: str) -> None:
    backend = ScriptedBackend().enqueue(f"```python\ndef solution():\n    return {expression}\n```")
    run, calls = fake_executor(FakeRun(stdout="@@lamp-pal-result@@ -7\n"))
    outcome = finish(list(solve(backend, question, run, Sampling())))
    assert outcome["value"] == "-7" and outcome["retries"] == 0 and len(calls) == 1


def test_a_korean_count_question_gets_the_check_too() -> None:
    backend = ScriptedBackend().enqueue("```python\ndef solution():\n    return 5 - 12\n```",
                                        "```python\ndef solution():\n    return 12 - 5\n```")
    run, _ = fake_executor(FakeRun(stdout="@@lamp-pal-result@@ -7\n"),
                           FakeRun(stdout="@@lamp-pal-result@@ 7\n"))
    outcome = finish(list(solve(backend, "사과 12개 중 5개를 먹었다. 몇 개 남았나?", run,
                                Sampling())))
    assert outcome["value"] == "7" and outcome["retries"] == 1


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


def program(value: int) -> str:
    return f"```python\ndef solution():\n    return {value}\n```"


def result(value: str) -> FakeRun:
    return FakeRun(stdout=f"@@lamp-pal-result@@ {value}\n")


def test_samples_vote_and_the_majority_program_is_reported() -> None:
    backend = ScriptedBackend().enqueue(program(5), program(7), program(7))
    run, _ = fake_executor(result("5"), result("7.0"), result("7"))
    outcome = finish(list(solve(backend, "q?", run, Sampling(temperature=0, seed=10),
                                samples=3)))
    assert outcome["value"] == "7.0" and outcome["code"].endswith("return 7")
    assert outcome["votes"] == {"5": 1, "7.0": 2} and outcome["programs"] == 3
    first, second, third = (request[1] for request in backend.requests)
    assert first.temperature == 0 and first.seed == 10
    assert second.temperature > 0 and third.temperature > 0
    assert len({first.seed, second.seed, third.seed}) == 3


def test_drawing_stops_once_the_leader_cannot_be_caught() -> None:
    backend = ScriptedBackend().enqueue(*(program(4) for _ in range(5)))
    run, calls = fake_executor(*(result("4") for _ in range(5)))
    outcome = finish(list(solve(backend, "q?", run, Sampling(temperature=0), samples=5)))
    # After three equal values, two more programs cannot outvote them.
    assert outcome["value"] == "4" and outcome["programs"] == 3 and len(calls) == 3


def test_a_tie_goes_to_the_earliest_value() -> None:
    backend = ScriptedBackend().enqueue(program(1), program(2))
    run, _ = fake_executor(result("1"), result("2"))
    outcome = finish(list(solve(backend, "q?", run, Sampling(temperature=0), samples=2)))
    assert outcome["value"] == "1" and outcome["votes"] == {"1": 1, "2": 1}


def test_failed_samples_do_not_vote_and_need_no_retry_when_another_answered() -> None:
    backend = ScriptedBackend().enqueue("```python\nboom()\n```", program(9))
    run, calls = fake_executor(FakeRun(stderr="NameError: boom", exit_code=1), result("9"))
    outcome = finish(list(solve(backend, "q?", run, Sampling(temperature=0), samples=2)))
    assert outcome["value"] == "9" and outcome["retries"] == 0 and len(calls) == 2
    assert [a["value"] for a in outcome["attempts"]] == [None, "9"]


def test_when_every_sample_fails_the_first_failure_is_retried_once() -> None:
    backend = ScriptedBackend().enqueue("```python\nboom()\n```", "no code here",
                                        program(3))
    run, _ = fake_executor(FakeRun(stderr="NameError: boom", exit_code=1), result("3"))
    outcome = finish(list(solve(backend, "q?", run, Sampling(temperature=0), samples=2)))
    assert outcome["value"] == "3" and outcome["retries"] == 1 and outcome["programs"] == 3
    assert "NameError: boom" in backend.requests[2][0][-1].content


@pytest.mark.parametrize("a, b", [("1,200", "1200.0"), ("$5", "5"), ("0.1", "0.10000000001"),
                                  ("Paris", "paris")])
def test_values_that_mean_the_same_vote_together(a: str, b: str) -> None:
    assert vote_key(a) == vote_key(b)


def test_different_numbers_do_not_share_a_vote() -> None:
    assert vote_key("74") != vote_key("62") and vote_key("0.5") != vote_key("0.6")


def test_question_and_sampling_policies() -> None:
    from lamp.agent.pal.solve import pal_question, program_sampling

    assert pal_question("solve", "6 boxes of 7") == "solve\n\n6 boxes of 7"
    assert pal_question("", "6 boxes of 7") == "6 boxes of 7"
    plain = program_sampling(Sampling(temperature=0.7, repeat_penalty=1.1))
    assert (plain.temperature, plain.repeat_penalty) == (0.0, 1.0)
    chosen = program_sampling(Sampling(temperature=0.3, repeat_penalty=1.2),
                              {"temperature", "repeat_penalty"})
    assert (chosen.temperature, chosen.repeat_penalty) == (0.3, 1.2)


def test_sandbox_warnings_come_before_the_run_they_concern() -> None:
    from lamp.agent.pal.solve import solve_in_sandbox

    @dataclass
    class WarnedRun(FakeRun):
        warnings: tuple[str, ...] = ("no Landlock here",)

    class Box:
        def run(self, code: str) -> WarnedRun:
            return WarnedRun(stdout="@@lamp-pal-result@@ 42\n")

    backend = ScriptedBackend().enqueue(program(42))
    events = list(solve_in_sandbox(backend, "q?", Box(), Sampling(temperature=0)))
    kinds = [type(e).__name__ for e in events if not isinstance(e, Notice)
             or e.level == "warning"]
    assert kinds == ["Usage", "Notice", "CodeRun", "FinalAnswer"]
    assert finish(events)["value"] == "42"


ANN = "Ann had 38 apples, ate 20 and gave 5 away. How many are left?"


def solve_programs(question: str, *programs: tuple[str, FakeRun], **options: int
                   ) -> tuple[dict, ScriptedBackend, list[str]]:
    """Solve with a model that writes ``return <body>`` programs, in order, and a sandbox
    that answers each with its FakeRun."""
    backend = ScriptedBackend().enqueue(
        *(f"```python\ndef solution():\n    return {body}\n```" for body, _ in programs))
    run, calls = fake_executor(*(ran for _, ran in programs))
    outcome = finish(list(solve(backend, question, run, Sampling(temperature=0), **options)))
    return outcome, backend, calls


def test_a_program_that_leaves_out_a_number_is_checked_once_and_the_fuller_one_wins() -> None:
    question = ("Tom drove 200 km a day for 4 days, then 30% of that distance on the last "
                "day. How far did he drive?")
    backend = ScriptedBackend().enqueue(
        "```python\ndef solution():\n    return 200 * 4\n```",
        "```python\ndef solution():\n    return 200 * 4 * (1 + 30 / 100)\n```")
    run, calls = fake_executor(result("800"), result("1040"))
    events = list(solve(backend, question, run, Sampling(temperature=0)))
    outcome = finish(events)
    assert outcome["value"] == "1040" and outcome["retries"] == 1 and len(calls) == 2
    assert outcome["programs"] == 2
    asked = backend.requests[1][0][-1].content
    assert asked.startswith(question)
    assert asked.endswith("(Every number given matters, including 30%.)")
    assert any(isinstance(e, Notice) and "30%" in e.message for e in events)


def test_a_check_that_still_leaves_the_number_out_keeps_the_first_value() -> None:
    outcome, _, _ = solve_programs(ANN, ("38 - 20", result("18")), ("38 - 20", result("18")))
    assert outcome["value"] == "18" and outcome["retries"] == 1 and outcome["programs"] == 2


def test_a_check_whose_program_fails_keeps_the_first_value() -> None:
    outcome, _, _ = solve_programs(
        ANN, ("38 - 20", result("18")),
        ("38 - 20 - 5 / 0", FakeRun(stderr="ZeroDivisionError", exit_code=1)))
    assert outcome["value"] == "18" and outcome["failure"] is None


def test_a_fuller_program_whose_value_is_negative_does_not_replace_the_first() -> None:
    outcome, _, _ = solve_programs(ANN.replace("5 away", "50 away"), ("38 - 20", result("18")),
                                   ("38 - 20 - 50", result("-32")))
    assert outcome["value"] == "18" and outcome["programs"] == 2


def test_a_korean_question_with_a_number_left_out_is_checked() -> None:
    outcome, backend, _ = solve_programs(
        "사과 12개 중 5개를 먹고 3개를 친구에게 주었다. 몇 개 남았나?",
        ("12 - 5", result("7")), ("12 - 5 - 3", result("4")))
    assert outcome["value"] == "4" and outcome["retries"] == 1
    assert backend.requests[1][0][-1].content.endswith("including 3.)")


@pytest.mark.parametrize(("question", "body"), [
    ("How many days are in two weeks?", "2 * 7"),  # numbers in words are not checked
    ("A class of 30 has 12 girls. How many boys are in the 3rd row's class?", "30 - 12"),
    ("Sum these readings: 4, 8, 15, 16, 23, 42, 7, 9, 11 and 3.", "138"),  # data, not a problem
])
def test_no_check_when_every_checked_number_is_used_or_the_question_is_data(
        question: str, body: str) -> None:
    outcome, _, calls = solve_programs(question, (body, result("14")))
    assert outcome["retries"] == 0 and len(calls) == 1


def test_sampled_programs_are_not_checked_for_left_out_numbers() -> None:
    outcome, _, calls = solve_programs(ANN, ("38 - 20", result("18")),
                                       ("38 - 20", result("18")), samples=2)
    assert outcome["retries"] == 0 and len(calls) == 2
