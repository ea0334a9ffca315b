"""The conversation loop: fit the history, stream the reply, remember the turn.

``Conversation.send`` is a generator of events; the CLI renders them. If the
consumer stops early (Ctrl-C in chat), the partial reply is still recorded so
the next turn sees what the user saw.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .context import FitResult, fit_messages
from .events import Event, FinalAnswer, Notice, TextDelta, Usage
from .framing import frame, neutralize
from .memory_link import MemoryHook
from .models import Backend, Message, Sampling

__all__ = ["ASSISTANT_SYSTEM", "Conversation", "compose_user_message"]

ASSISTANT_SYSTEM = ("You are lamp, a helpful assistant running locally. "
                    "Answer clearly and concisely.")
"""The system prompt of a plain answer (``lamp ask``, ``chat``) unless the user sets one."""


def compose_user_message(prompt: str, material: str | None) -> str:
    """Join the user's request with piped-in material the request talks about, framed
    (``framing.py``) so that the material cannot speak as the request; material alone
    is the request, made plain (no control tokens, no frame markers)."""
    if not material:
        return prompt
    if not prompt:
        return neutralize(material)
    return f"{prompt}\n\nInput:\n{frame('input', material.rstrip())}"


@dataclass
class Conversation:
    backend: Backend
    sampling: Sampling
    system: str = ""
    truncate: bool = False
    history: list[Message] = field(default_factory=list)
    examples: list[Message] = field(default_factory=list)  # few-shot, always kept
    memory: MemoryHook | None = None
    memory_budget: int = 384  # most tokens of recalled memory per answer
    # Store turn numbers parallel to ``history`` (None: not stored), so recall can
    # leave out exactly the turns that are still in the window.
    turn_numbers: list[int | None] = field(default_factory=list)

    def reset(self) -> None:
        self.history.clear()
        self.turn_numbers.clear()

    def load(self, turns: list[tuple[int, Message]]) -> None:
        """Start from stored turns (``lamp chat -c``, ``ask --session``)."""
        self.history = [m for _, m in turns]
        self.turn_numbers = [n for n, _ in turns]

    def _system_with_memory(self, user_text: str, kept: int, max_tokens: int) -> str:
        if self.memory is None:
            return self.system
        numbers = self.turn_numbers[len(self.turn_numbers) - kept:] if kept else []
        in_window = {n for n in numbers if n is not None}
        free = self.backend.context_size - max_tokens - self.backend.count_tokens(
            [Message("system", self.system), Message("user", user_text)])
        budget = min(self.memory_budget, self.backend.context_size // 4, free)
        block = self.memory.recall(user_text, in_window, budget) if budget > 32 else ""
        # Recalled text was written by anyone who once reached a prompt (a document, a
        # tool result): it goes in a frame like theirs.
        return f"{self.system}\n\n{frame('memory', block)}".strip() if block else self.system

    def send(self, user_text: str, sampling: Sampling | None = None, *,
             grammar: str | None = None, json_schema: dict | None = None) -> Iterator[Event]:
        """``grammar`` / ``json_schema`` constrain the reply (``ask --schema``); a backend is
        given only the ones that are set, so backends without them need not take them."""
        sampling = sampling or self.sampling
        constraint: dict[str, Any] = {}
        if grammar is not None:
            constraint["grammar"] = grammar
        if json_schema is not None:
            constraint["json_schema"] = json_schema
        fit = self._fit(self.system, user_text, sampling)
        if self.memory is not None:
            kept = len(fit.messages) - 1 - (1 if self.system else 0) - len(self.examples)
            memory_system = self._system_with_memory(user_text, max(kept, 0), sampling.max_tokens)
            if memory_system != self.system:
                fit = self._fit(memory_system, user_text, sampling)
        if fit.truncated_chars:
            yield Notice(
                f"input truncated: {fit.truncated_chars:,} characters cut to fit the "
                f"context window of {self.backend.context_size:,} tokens"
            )
        user_msg = fit.messages[-1]
        parts: list[str] = []
        started = time.perf_counter()
        first: float | None = None
        prompt_tokens = completion_tokens = 0
        finish = ""
        try:
            for chunk in self.backend.stream_chat(fit.messages, sampling, **constraint):
                if chunk.text:
                    if first is None:
                        first = time.perf_counter() - started
                    parts.append(chunk.text)
                    yield TextDelta(chunk.text)
                if chunk.finish_reason is not None:
                    prompt_tokens = chunk.prompt_tokens
                    completion_tokens = chunk.completion_tokens
                    finish = chunk.finish_reason
        except (GeneratorExit, KeyboardInterrupt):
            # Stopped by the user: keep what they saw, so the next turn makes sense.
            self.record_exchange(user_msg, "".join(parts) + " [interrupted]")
            raise
        answer = "".join(parts)
        self.record_exchange(user_msg, answer)
        total = time.perf_counter() - started
        yield Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds_to_first_token=first if first is not None else total,
            seconds_total=total,
            finish_reason=finish,
        )
        yield FinalAnswer(answer)

    def _fit(self, system_text: str, user_text: str, sampling: Sampling) -> FitResult:
        return fit_messages(
            Message("system", system_text) if system_text else None,
            [*self.examples, *self.history],
            Message("user", user_text),
            count=self.backend.count_tokens,
            n_ctx=self.backend.context_size,
            max_tokens=sampling.max_tokens,
            truncate=self.truncate,
        )

    def record_exchange(self, user_msg: Message, answer: str) -> None:
        """Add one exchange to the history (and to memory, when attached)."""
        numbers: tuple[int | None, int | None] = (None, None)
        if self.memory is not None:
            numbers = self.memory.record(user_msg.content, answer)
        self.history += [user_msg, Message("assistant", answer)]
        self.turn_numbers += list(numbers)
