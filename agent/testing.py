"""A scripted backend for tests: enqueue the replies, then drive lamp as usual.

It ships inside the package (not only under tests/) so plugins and users can
test their own tools and prompts against lamp's loop without loading a model.
Token counting is a crude whitespace count, which is enough for budget logic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .backend import Chunk, Message, Sampling

__all__ = ["ScriptedBackend"]


@dataclass
class ScriptedBackend:
    """Replays queued replies; records every request it was given."""

    context: int = 4096
    name: str = "scripted"
    supports_grammar: bool = True
    renders_tools: bool = False
    replies: deque[str] = field(default_factory=deque)
    requests: list[tuple[list[Message], Sampling, str | None]] = field(default_factory=list)

    def enqueue(self, *replies: str) -> ScriptedBackend:
        self.replies.extend(replies)
        return self

    @property
    def context_size(self) -> int:
        return self.context

    def count_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None) -> int:
        # 4 tokens of template overhead per message, like a real chat template.
        return sum(len(m.content.split()) + 4 for m in messages) + 3

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: Sampling,
        grammar: str | None = None,
        tools: list[dict] | None = None,
    ) -> Iterator[Chunk]:
        self.requests.append((list(messages), sampling, grammar))
        if not self.replies:
            raise AssertionError("ScriptedBackend: no reply queued")
        reply = self.replies.popleft()
        words = reply.split(" ")
        for i, word in enumerate(words):
            yield Chunk(text=word if i == 0 else " " + word)
        yield Chunk(
            text="",
            prompt_tokens=self.count_tokens(messages),
            completion_tokens=len(words),
            finish_reason="stop",
        )

    def describe(self) -> dict[str, object]:
        return {"backend": self.name}
