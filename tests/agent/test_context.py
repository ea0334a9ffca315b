from __future__ import annotations

import pytest

from lamp.agent.context import TRUNCATION_MARK, fit_messages
from lamp.agent.errors import ContextOverflow
from lamp.agent.models import Message, ScriptedBackend

count = ScriptedBackend().count_tokens
SYSTEM = Message("system", "be brief")


def history(n: int) -> list[Message]:
    out: list[Message] = []
    for i in range(n):
        out += [Message("user", f"question {i} " + "w " * 20), Message("assistant", f"answer {i}")]
    return out


def test_everything_kept_when_it_fits() -> None:
    hist = history(3)
    fit = fit_messages(SYSTEM, hist, Message("user", "now"), count=count, n_ctx=4096,
                       max_tokens=100)
    assert fit.messages == [SYSTEM, *hist, Message("user", "now")]
    assert fit.dropped_turns == 0
    assert fit.prompt_tokens == count(fit.messages)


def test_oldest_turns_dropped_first_and_budget_respected() -> None:
    hist = history(40)
    fit = fit_messages(SYSTEM, hist, Message("user", "now"), count=count, n_ctx=600,
                       max_tokens=100)
    assert fit.messages[0] == SYSTEM
    assert fit.messages[-1] == Message("user", "now")
    kept = fit.messages[1:-1]
    assert kept == hist[len(hist) - len(kept):]  # a suffix: the newest turns
    assert kept and kept[0].role == "user"  # never an answer without its question
    assert fit.prompt_tokens <= 600 - 100
    assert fit.dropped_turns == len(hist) - len(kept)


def test_too_long_alone_is_a_clear_error() -> None:
    big = Message("user", "w " * 5000)
    with pytest.raises(ContextOverflow, match="--truncate"):
        fit_messages(SYSTEM, [], big, count=count, n_ctx=1024, max_tokens=200)


def test_truncate_cuts_and_marks_the_input() -> None:
    big = Message("user", "w " * 5000)
    fit = fit_messages(SYSTEM, history(2), big, count=count, n_ctx=1024, max_tokens=200,
                       truncate=True)
    user = fit.messages[-1]
    assert user.content.endswith(TRUNCATION_MARK)
    assert fit.truncated_chars > 0
    assert fit.prompt_tokens <= 1024 - 200
    assert fit.dropped_turns == 4  # no room left for history


def test_system_prompt_that_cannot_fit_even_with_truncation() -> None:
    huge_system = Message("system", "s " * 2000)
    with pytest.raises(ContextOverflow, match="system prompt"):
        fit_messages(huge_system, [], Message("user", "hi"), count=count, n_ctx=1024,
                     max_tokens=100, truncate=True)
