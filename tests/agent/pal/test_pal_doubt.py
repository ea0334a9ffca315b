"""More programs only where the first answer is in doubt (agent/pal/doubt.py), with a
scripted model and sandbox; the real model's figures are in benchmarks/pal_gsm8k.py."""

from __future__ import annotations

import pytest
from scripted_sandbox import FakeRun, fake_executor, result

from lamp.agent.events import FinalAnswer, Notice
from lamp.agent.models import Capabilities, Sampling, ScriptedBackend, TokenChance
from lamp.agent.pal.doubt import counts_things, doubts, least_sure_arithmetic
from lamp.agent.pal.solve import solve


def program(body: str) -> str:
    return f"```python\ndef solution():\n    return {body}\n```"


def run_solve(question: str, *steps: tuple[str, FakeRun], draws: int = 4):
    backend = ScriptedBackend().enqueue(*(program(body) for body, _ in steps))
    run, calls = fake_executor(*(ran for _, ran in steps))
    events = list(solve(backend, question, run, Sampling(temperature=0, seed=3),
                        doubt_draws=draws))
    final = next(e for e in events if isinstance(e, FinalAnswer))
    return final.steps[0].to_dict(), backend, calls, events


@pytest.mark.parametrize("question, counting", [
    ("How many students are in the class?", True),
    ("How many apples does Ann have left?", True),
    ("How many hours does the trip take?", False),
    ("How many more dollars does Tom have than Ana?", False),
    ("How many cups of flour are needed?", False),
    ("How much does she pay in total?", False),
    ("사과는 모두 몇 개인가요?", True),
    ("학생은 몇 명입니까?", True),
    ("몇 시간이 걸리나요?", False),
])
def test_what_counts_whole_things(question: str, counting: bool) -> None:
    assert counts_things(question) is counting


@pytest.mark.parametrize("question, value, doubted", [
    ("How many students are left?", "12", False),
    ("How many students are left?", "12.5", True),
    ("학생은 몇 명 남았나요?", "7.5", True),
    ("How many hours does it take?", "1.5", False),
    ("How much does she pay?", "12.35", False),
    ("How much does she pay?", "12.345", True),      # more decimals than money has
    ("What is 1/3 of the cake in grams?", "133.333333333", True),
    ("What is the ratio?", "2.5e-06", False),
    ("What is the name?", "Paris", True),
])
def test_a_value_is_doubted_only_for_a_visible_reason(question: str, value: str,
                                                      doubted: bool) -> None:
    assert bool(doubts(question, value)) is doubted


def test_no_value_and_earlier_trouble_are_reasons_too() -> None:
    assert doubts("q?", None) == ["no program ran to a value"]
    reasons = doubts("How many?", "4", retried=True, second_look="the program left out 3")
    assert reasons == ["the first program failed and was retried",
                       "a second look was needed: the program left out 3"]


def test_an_answer_not_in_doubt_costs_no_more_programs() -> None:
    record, _, calls, _ = run_solve("Ann has 4 bags of 3 apples. How many apples?",
                                          ("4 * 3", result("12")))
    assert record["value"] == "12" and record["programs"] == 1 and len(calls) == 1
    assert record["doubts"] == [] and "value_before_doubt" not in record


def test_a_doubted_answer_is_outvoted_by_sampled_programs_that_agree() -> None:
    question = "Ann shares 10 apples among 4 friends. How many apples does each friend get?"
    record, backend, _, events = run_solve(
        question, ("10 / 4", result("2.5")), ("10 // 4", result("2")),
        ("10 // 4", result("2")), ("10 // 4", result("2")))
    assert record["value"] == "2" and record["value_before_doubt"] == "2.5"
    assert record["doubts"] == ["the value 2.5 is not a whole number, though the question "
                                "counts things"]
    assert record["votes"] == {"2.5": 1, "2": 3}
    # Sampled, each with its own seed; the first stays greedy.
    first, *drawn = (request[1] for request in backend.requests)
    assert first.temperature == 0 and all(s.temperature > 0 for s in drawn)
    assert len({s.seed for s in drawn}) == len(drawn)
    notices = [e.message for e in events if isinstance(e, Notice) and e.level == "info"]
    assert any("drawing up to 4 more programs" in n for n in notices)


def test_two_programs_agreeing_with_the_doubted_answer_end_the_vote() -> None:
    question = "Ann shares 10 apples among 4 friends. How many apples does each friend get?"
    record, _, calls, _ = run_solve(question, ("10 / 4", result("2.5")),
                                    ("10 / 4", result("2.5")), ("10 / 4", result("2.5")))
    assert record["value"] == "2.5" and record["programs"] == 3 and len(calls) == 3


def test_no_value_at_all_draws_more_programs_after_the_retry() -> None:
    backend = ScriptedBackend().enqueue("```python\nboom()\n```", "```python\nboom()\n```",
                                        program("7"), program("7"), program("7"))
    run, _ = fake_executor(FakeRun(stderr="NameError: boom", exit_code=1),
                           FakeRun(stderr="NameError: boom", exit_code=1),
                           result("7"), result("7"), result("7"))
    events = list(solve(backend, "Tom has 7 cats. How many cats?", run,
                        Sampling(temperature=0), doubt_draws=4))
    record = next(e for e in events if isinstance(e, FinalAnswer)).steps[0].to_dict()
    assert record["value"] == "7" and record["retries"] == 1
    assert record["doubts"][0] == "the first program failed and was retried"
    assert "no program ran to a value" in record["doubts"]


def test_fixed_samples_and_no_draws_keep_todays_behaviour() -> None:
    question = "Ann shares 10 apples among 4 friends. How many apples does each friend get?"
    record, _, calls, _ = run_solve(question, ("10 / 4", result("2.5")), draws=0)
    assert record["value"] == "2.5" and len(calls) == 1 and record["doubts"] == []


def chances(*pieces: tuple[str, float]) -> list[TokenChance]:
    return [TokenChance(text, chance) for text, chance in pieces]


def test_the_least_sure_number_or_operator_is_read_from_the_code_alone() -> None:
    reply = chances(("Here", 0.01), (":\n```", 0.9), ("python", 0.9), ("\n", 1.0),
                    ("def", 0.05), (" solution", 0.9), ("():\n", 0.1),
                    ("    #", 0.5), (" 2", 0.02), (" apples\n", 0.9),
                    ("    apples", 0.2), (" =", 0.9), (" 4", 0.45), (" *", 0.6), (" 3", 0.9),
                    ("\n", 1.0), ("    return", 0.95), (" apples", 0.1), ("\n```", 0.99),
                    ("\n3", 0.01))
    # Not the prose, the comment, the def line or a name: the numbers and operators.
    assert least_sure_arithmetic(reply) == TokenChance(" 4", 0.45)
    assert least_sure_arithmetic(chances(("no code here 3", 0.1))) is None


def unsure_backend(*bodies: str, low_word: str) -> ScriptedBackend:
    """A model that reports token chances, one word of its replies chosen unsurely."""
    backend = ScriptedBackend(capabilities=Capabilities(token_chances=True),
                              word_chances={low_word: 0.12})
    return backend.enqueue(*(program(body) for body in bodies))


def test_an_unsure_program_draws_more_programs_and_says_why() -> None:
    backend = unsure_backend("5 + 3", "5 - 3", "5 - 3", "5 - 3", low_word="+")
    run, _ = fake_executor(result("8"), result("2"), result("2"), result("2"))
    events = list(solve(backend, "Ann had 5 apples and ate 3. How many are left?", run,
                        Sampling(temperature=0), doubt_draws=4))
    record = next(e for e in events if isinstance(e, FinalAnswer)).steps[0].to_dict()
    assert record["value"] == "2" and record["value_before_doubt"] == "8"
    assert record["doubts"] == ["the model was unsure of the program's arithmetic ('+' had "
                                "a chance of 0.12)"]
    assert record["attempts"][0]["least_sure"] == 0.12
    # Only the greedy program is asked for its chances.
    asked = [request[1].token_chances for request in backend.requests]
    assert asked == [True, False, False, False]


def test_a_sure_program_or_a_model_without_chances_costs_nothing_more() -> None:
    sure = unsure_backend("5 - 3", low_word="+")
    run, calls = fake_executor(result("2"))
    list(solve(sure, "Ann had 5 apples and ate 3. How many are left?", run,
               Sampling(temperature=0), doubt_draws=4))
    assert len(calls) == 1
    plain = ScriptedBackend(word_chances={"+": 0.01}).enqueue(program("5 + 3"))
    record, *_ = solve_record(plain, "Ann had 5 apples and ate 3. How many are left?",
                              result("8"))
    assert record["doubts"] == [] and "least_sure" not in record["attempts"][0]
    assert plain.requests[0][1].token_chances is False


def solve_record(backend: ScriptedBackend, question: str, *runs: FakeRun):
    run, calls = fake_executor(*runs)
    events = list(solve(backend, question, run, Sampling(temperature=0), doubt_draws=4))
    return next(e for e in events if isinstance(e, FinalAnswer)).steps[0].to_dict(), calls
