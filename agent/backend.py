"""The one seam between lamp's logic and whatever runs the model.

An in-process llama.cpp backend is the default; an HTTP backend speaking the
OpenAI chat API can implement the same protocol later. Everything above this
module (conversation, PAL, ReAct) talks only to ``Backend``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .events import Usage

__all__ = ["Backend", "Chunk", "Message", "Sampling", "complete"]


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant" | "tool"
    content: str


@dataclass(frozen=True)
class Sampling:
    """Sampling settings; ``temperature == 0`` means greedy decoding."""

    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    max_tokens: int = 512
    seed: int | None = None
    repeat_penalty: float = 1.1
    stop: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["stop"] = list(self.stop)
        return d


@dataclass(frozen=True)
class Chunk:
    """A streamed piece of output; the last chunk carries counts and the finish reason."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None


@runtime_checkable
class Backend(Protocol):
    """What a model runner must offer.

    ``supports_grammar`` tells callers whether ``grammar`` (GBNF text) is honoured;
    ``renders_tools`` whether ``tools`` (OpenAI-style function definitions) are rendered
    by the model's own chat template. Backends that cannot ignore ``tools``.
    Optional: ``special_token_rule(text)`` gives the GBNF for a single special token
    (``<tool_call>``), for grammars that must let the model write it.
    """

    name: str
    supports_grammar: bool
    renders_tools: bool

    @property
    def context_size(self) -> int: ...

    def count_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None) -> int:
        """Tokens the chat template turns these messages into (with the answer prefix)."""
        ...

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: Sampling,
        grammar: str | None = None,
        tools: list[dict] | None = None,
    ) -> Iterator[Chunk]:
        """Stream the assistant's reply to ``messages``."""
        ...

    def describe(self) -> dict[str, object]:
        """A small JSON-able description (model name/path) for ``--json`` output."""
        ...


def complete(backend: Backend, messages: Sequence[Message], sampling: Sampling,
             grammar: str | None = None, tools: list[dict] | None = None
             ) -> tuple[str, Usage]:
    """The whole reply at once, with its token counts and timings (for agent steps)."""
    from .events import Usage

    started, parts, first = time.perf_counter(), [], None
    prompt = completion = 0
    finish = ""
    for chunk in backend.stream_chat(messages, sampling, grammar, tools):
        if chunk.text:
            first = first if first is not None else time.perf_counter() - started
            parts.append(chunk.text)
        if chunk.finish_reason is not None:
            prompt, completion = chunk.prompt_tokens, chunk.completion_tokens
            finish = chunk.finish_reason
    total = time.perf_counter() - started
    return "".join(parts), Usage(prompt, completion, first if first is not None else total,
                                 total, finish)
