"""The one seam between lamp's logic and whatever runs the model.

Everything above the model layer (conversation, PAL, ReAct) talks only to
``Backend``: stream a chat reply with sampling settings, an optional grammar
and stop strings; count tokens. What a backend can do beyond that is declared
in its ``capabilities``, so callers read a flag instead of probing for methods;
every backend has every method, and one it cannot honour does nothing harmful
(``special_token_rule`` returns None, ``warm_prefix`` returns ``"off"``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, runtime_checkable

from .usage import Usage

__all__ = ["Backend", "Capabilities", "Chunk", "Message", "Reply", "Sampling", "TokenChance",
           "complete", "complete_reply", "worked_turns"]


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant" | "tool"
    content: str


def worked_turns(pairs: Iterable[tuple[str, str]]) -> list[Message]:
    """Worked examples as earlier turns of the conversation: each (request, reply) a user
    message and the assistant's answer. Small models copy a shown answer's shape far more
    reliably than they follow a described one."""
    return [turn for request, reply in pairs
            for turn in (Message("user", request), Message("assistant", reply))]


@dataclass(frozen=True)
class Sampling:
    """Sampling settings; ``temperature == 0`` means greedy decoding.

    ``lookup`` asks for prompt-lookup decoding (``lookup.py``) where the backend has it
    (``capabilities.prompt_lookup``): the reply is expected to copy from its prompt, so
    guesses taken from the prompt are checked in batches. It changes how the reply is
    computed, not what is sampled, so ``as_dict`` (what a result reports as its
    sampling) leaves it out. ``token_chances`` asks for the probability of each token
    the reply is made of, where the backend has them (``capabilities.token_chances``);
    it changes nothing that is sampled either. ``token_rivals`` (with it) also asks for
    the likeliest other tokens at each place: what a choice between fixed words was
    weighed against.
    """

    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    max_tokens: int = 512
    seed: int | None = None
    repeat_penalty: float = 1.1
    stop: tuple[str, ...] = field(default_factory=tuple)
    lookup: bool = False
    token_chances: bool = False
    token_rivals: int = 0

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["stop"] = list(self.stop)
        del d["lookup"], d["token_chances"], d["token_rivals"]
        return d


@dataclass(frozen=True)
class Chunk:
    """A streamed piece of output; the last chunk carries counts and the finish reason,
    and, when ``Sampling.token_chances`` asked for them, each token's text and the
    probability the model gave it (``TokenChance``)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    token_chances: tuple[TokenChance, ...] = ()


@dataclass(frozen=True)
class TokenChance:
    """One generated token: its text and how likely the model found it there (0 to 1),
    and, when ``Sampling.token_rivals`` asked, the likeliest other tokens there (text,
    chance), likeliest first."""

    text: str
    chance: float
    rivals: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What a backend does beyond streaming a reply and counting tokens.

    ``grammar``: ``stream_chat`` honours a GBNF ``grammar`` (otherwise passing one is a
    UsageError). ``template_tools``: ``tools`` (OpenAI-style function definitions) are
    rendered by the model's own chat template; without it callers describe tools in
    the prompt text and pass no ``tools``. ``special_tokens``: ``special_token_rule``
    can name a single special token such as ``<tool_call>`` for a grammar.
    ``warm_prefix``: ``warm_prefix`` can make the KV state of a fixed prompt prefix
    current (and keep it on disk), so callers announce and time that step.
    ``warm_input``: ``warm_prefix`` also warms material: with ``user_prefix`` the prefix goes
    on into the user message that starts with it (an attached file the next question
    about it will share; "" when the material closed the system prompt, ``--docs``), and
    its state is kept under the cache's budget for inputs.
    ``prompt_lookup``: ``stream_chat`` honours ``Sampling.lookup`` (otherwise it is ignored).
    ``token_chances``: ``stream_chat`` honours ``Sampling.token_chances`` (otherwise the
    last chunk has none).
    ``json_schema``: ``stream_chat`` honours a ``json_schema`` (a server constrains its
    reply to it, OpenAI's ``response_format``); otherwise passing one is a UsageError.
    ``concurrent``: several threads may call ``stream_chat`` and ``count_tokens`` at once
    (a server batches the requests; ``ask --each --parallel``). An in-process model
    holds one context and must be called from one thread at a time.
    """

    grammar: bool = False
    template_tools: bool = False
    special_tokens: bool = False
    warm_prefix: bool = False
    warm_input: bool = False
    prompt_lookup: bool = False
    token_chances: bool = False
    json_schema: bool = False
    concurrent: bool = False


@runtime_checkable
class Backend(Protocol):
    """What a model runner offers; ``capabilities`` says which optional parts are real."""

    name: str
    capabilities: Capabilities
    load_seconds: float  # time it took to open (0 for a model that was handed in)

    @property
    def context_size(self) -> int: ...

    def count_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None) -> int:
        """Tokens the chat template turns these messages into (with the answer prefix)."""
        ...

    def count_text(self, text: str) -> int:
        """Tokens of plain text (memory budgets); an estimate where there is no tokenizer."""
        ...

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: Sampling,
        grammar: str | None = None,
        tools: list[dict] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[Chunk]:
        """Stream the assistant's reply to ``messages``."""
        ...

    def special_token_rule(self, text: str) -> str | None:
        """GBNF for the single special token spelled ``text``; None when there is none
        (always None without ``capabilities.special_tokens``)."""
        ...

    def warm_prefix(self, messages: Sequence[Message], tools: list[dict] | None = None, *,
                    user_prefix: str | None = None) -> str:
        """Make a fixed prefix's KV state current: 'live', 'hit', 'miss' or 'off'
        (always 'off' without ``capabilities.warm_prefix``). ``user_prefix`` (a string,
        maybe empty): the prefix is material and goes on into a user message that starts
        with it ('off' without ``capabilities.warm_input``)."""
        ...

    def describe(self) -> dict[str, object]:
        """A small JSON-able description (model name/path) for ``--json`` output."""
        ...


@dataclass(frozen=True)
class Reply:
    """A whole reply: its text, what it cost, and its tokens' chances if asked for."""

    text: str
    usage: Usage
    token_chances: tuple[TokenChance, ...] = ()


def complete_reply(backend: Backend, messages: Sequence[Message], sampling: Sampling,
                   grammar: str | None = None, tools: list[dict] | None = None) -> Reply:
    """The whole reply at once, with its token counts, timings and (where the backend has
    them and ``sampling`` asks) the chance of each token."""
    started, parts, first = time.perf_counter(), [], None
    prompt = completion = 0
    finish = ""
    chances: tuple[TokenChance, ...] = ()
    for chunk in backend.stream_chat(messages, sampling, grammar, tools):
        if chunk.text:
            first = first if first is not None else time.perf_counter() - started
            parts.append(chunk.text)
        if chunk.finish_reason is not None:
            prompt, completion = chunk.prompt_tokens, chunk.completion_tokens
            finish, chances = chunk.finish_reason, chunk.token_chances
    total = time.perf_counter() - started
    usage = Usage(prompt, completion, first if first is not None else total, total, finish)
    return Reply("".join(parts), usage, chances)


def complete(backend: Backend, messages: Sequence[Message], sampling: Sampling,
             grammar: str | None = None, tools: list[dict] | None = None
             ) -> tuple[str, Usage]:
    """The whole reply at once, with its token counts and timings (for agent steps)."""
    whole = complete_reply(backend, messages, sampling, grammar, tools)
    return whole.text, whole.usage
