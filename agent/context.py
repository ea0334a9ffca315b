"""Fit a conversation into the context window, counted with the model's own tokenizer.

Rule: the system prompt and the new user message always go in; then as many of
the newest earlier turns as fit, leaving ``max_tokens`` free for the answer.
A message that cannot fit even alone is an error (or, when the caller allows
it, an explicit truncation of the user's material that is announced).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import ContextOverflow
from .models import Message

__all__ = ["FitResult", "fit_messages"]

CountFn = Callable[[Sequence[Message]], int]
TRUNCATION_MARK = "\n[... input truncated to fit the context window ...]"


@dataclass(frozen=True)
class FitResult:
    messages: list[Message]
    prompt_tokens: int
    dropped_turns: int  # earlier messages left out
    truncated_chars: int  # characters cut from the user message (0 if none)


def fit_messages(
    system: Message | None,
    history: Sequence[Message],
    user: Message,
    *,
    count: CountFn,
    n_ctx: int,
    max_tokens: int,
    truncate: bool = False,
) -> FitResult:
    budget = n_ctx - max_tokens
    head = [system] if system is not None else []
    need = count([*head, user])
    truncated = 0
    if need > budget:
        if not truncate:
            raise ContextOverflow(
                f"input needs {need:,} tokens but only {budget:,} fit "
                f"(context {n_ctx:,} minus {max_tokens:,} for the answer); "
                "use --truncate, a larger --ctx, or a shorter input"
            )
        user, truncated = _truncate(head, user, count=count, budget=budget)
        need = count([*head, user])

    # Keep the newest turns that fit: binary search on how many to keep,
    # since the token count grows monotonically with the number kept.
    lo, hi = 0, len(history)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count([*head, *history[len(history) - mid:], user]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    kept = list(history[len(history) - lo:]) if lo else []
    # Never start the kept window with an assistant reply cut from its question.
    while kept and kept[0].role == "assistant":
        kept.pop(0)
    messages = [*head, *kept, user]
    return FitResult(
        messages=messages,
        prompt_tokens=count(messages),
        dropped_turns=len(history) - len(kept),
        truncated_chars=truncated,
    )


def _truncate(
    head: list[Message], user: Message, *, count: CountFn, budget: int
) -> tuple[Message, int]:
    """Longest prefix of the user's text (plus a visible mark) that fits the budget."""
    text = user.content
    if count([*head, Message(user.role, TRUNCATION_MARK)]) > budget:
        raise ContextOverflow(
            "the system prompt alone does not fit the context window; "
            "use a larger --ctx or a shorter --system"
        )
    # No tokenizer we know packs more than 64 characters into one token, so a
    # prefix longer than that many characters per token cannot fit: don't count it.
    lo, hi = 0, min(len(text), budget * 64)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count([*head, Message(user.role, text[:mid] + TRUNCATION_MARK)]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return Message(user.role, text[:lo] + TRUNCATION_MARK), len(text) - lo
