"""The conversation loop: fit the history, stream the reply, remember the turn.

``Conversation.send`` is a generator of events; the CLI renders them. If the
consumer stops early (Ctrl-C in chat), the partial reply is still recorded so
the next turn sees what the user saw.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from .backend import Backend, Message, Sampling
from .context import fit_messages
from .events import Event, FinalAnswer, Notice, TextDelta, Usage

__all__ = ["Conversation", "compose_user_message"]


def compose_user_message(prompt: str, material: str | None) -> str:
    """Join the user's request with piped-in material the request talks about."""
    if not material:
        return prompt
    if not prompt:
        return material
    return f"{prompt}\n\nInput:\n```\n{material.rstrip()}\n```"


@dataclass
class Conversation:
    backend: Backend
    sampling: Sampling
    system: str = ""
    truncate: bool = False
    history: list[Message] = field(default_factory=list)
    examples: list[Message] = field(default_factory=list)  # few-shot, always kept

    def reset(self) -> None:
        self.history.clear()

    def send(self, user_text: str, sampling: Sampling | None = None) -> Iterator[Event]:
        sampling = sampling or self.sampling
        system = Message("system", self.system) if self.system else None
        fit = fit_messages(
            system,
            [*self.examples, *self.history],
            Message("user", user_text),
            count=self.backend.count_tokens,
            n_ctx=self.backend.context_size,
            max_tokens=sampling.max_tokens,
            truncate=self.truncate,
        )
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
            for chunk in self.backend.stream_chat(fit.messages, sampling):
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
            self.history += [user_msg, Message("assistant", "".join(parts) + " [interrupted]")]
            raise
        answer = "".join(parts)
        self.history += [user_msg, Message("assistant", answer)]
        total = time.perf_counter() - started
        yield Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds_to_first_token=first if first is not None else total,
            seconds_total=total,
            finish_reason=finish,
        )
        yield FinalAnswer(answer)

    def with_sampling(self, **changes: object) -> Conversation:
        return replace(self, sampling=replace(self.sampling, **changes))
