"""A scripted model: enqueue the replies, then drive lamp exactly as with a real one.

It is a first-class backend (like httpx's ``MockTransport`` or pydantic-ai's
``TestModel``), shipped in the package so plugins and users can test their own
tools and prompts against lamp's loops without loading a model, and so the
CLI's tests can hand it to a ``Runtime`` the way ``lamp serve`` hands over its
warm model. Token counting is a crude whitespace count, which is enough for
budget logic; ``capabilities`` can be set to exercise each optional path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .backend import Capabilities, Chunk, Message, Sampling, TokenChance

__all__ = ["ScriptedBackend"]


@dataclass
class ScriptedBackend:
    """Replays queued replies; records every request it was given."""

    context: int = 4096
    name: str = "scripted"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(grammar=True))
    replies: deque[str] = field(default_factory=deque)
    requests: list[tuple[list[Message], Sampling, str | None]] = field(default_factory=list)
    special_tokens: dict[str, str] = field(default_factory=dict)  # tag -> GBNF rule
    json_schemas: list[dict | None] = field(default_factory=list)  # per request
    warmed: list[tuple[list[Message], str | None]] = field(default_factory=list)  # warm_prefix
    load_seconds: float = 0.0
    # With ``capabilities.token_chances``: the chance each reply word (a token here) is
    # given, 1.0 for words not listed.
    word_chances: dict[str, float] = field(default_factory=dict)
    # With ``Sampling.token_rivals`` as well: what each listed word was weighed against.
    word_rivals: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)

    def enqueue(self, *replies: str) -> ScriptedBackend:
        self.replies.extend(replies)
        return self

    @property
    def context_size(self) -> int:
        return self.context

    def count_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None) -> int:
        # 4 tokens of template overhead per message, like a real chat template.
        return sum(len(m.content.split()) + 4 for m in messages) + 3

    def count_text(self, text: str) -> int:
        """About 4 characters per token, the same stand-in lamp.memory uses."""
        return max(1, (len(text) + 3) // 4)

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: Sampling,
        grammar: str | None = None,
        tools: list[dict] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[Chunk]:
        self.requests.append((list(messages), sampling, grammar))
        self.json_schemas.append(json_schema)
        if not self.replies:
            raise AssertionError("ScriptedBackend: no reply queued")
        reply = self.replies.popleft()
        words = reply.split(" ")
        # A word is a token here: a reply longer than max_tokens is cut, as a model's is.
        cut = 0 < sampling.max_tokens < len(words)
        words = words[: sampling.max_tokens] if cut else words
        pieces = [word if i == 0 else " " + word for i, word in enumerate(words)]
        for piece in pieces:
            yield Chunk(text=piece)
        chances = (tuple(TokenChance(p, self.word_chances.get(p.strip(), 1.0),
                                     self.word_rivals.get(p.strip(), ())[: sampling.token_rivals])
                         for p in pieces)
                   if self.capabilities.token_chances and sampling.token_chances else ())
        yield Chunk(
            text="",
            prompt_tokens=self.count_tokens(messages),
            completion_tokens=len(words),
            finish_reason="length" if cut else "stop",
            token_chances=chances,
        )

    def special_token_rule(self, text: str) -> str | None:
        return self.special_tokens.get(text) if self.capabilities.special_tokens else None

    def warm_prefix(self, messages: Sequence[Message], tools: list[dict] | None = None, *,
                    user_prefix: str | None = None) -> str:
        self.warmed.append((list(messages), user_prefix))
        caps = self.capabilities
        wanted = caps.warm_prefix if user_prefix is None else caps.warm_input
        return "live" if wanted else "off"

    def describe(self) -> dict[str, object]:
        return {"backend": self.name}
