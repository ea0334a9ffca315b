"""Prefill once per input: the prompt up to the end of the attached material is read once.

A second `lamp ask -f FILE` about the same file, or a `--docs` question that gets
the same sources back, shares everything up to where the material ends: the
system prompt, a template's instructions and examples, the sources, the file.
Only the question after it differs. So the material goes first in every layout
(``material_first``), the part of the user message that does not depend on the
question is found by composing the message around two different questions and
keeping what they share (``fixed_lead``: no layout needs to say where its
material ends), and the backend makes the KV state of that prefix current
before the answer starts (``prefilled``): live in the process (`lamp serve`,
`ask --each`), loaded from the prefix cache on disk, or computed and saved there
(``models/prefix_cache.py``: inputs have their own share of its cap).

Recalled memory depends on the question, so where the conversation would put it
(at the end of the system prompt, before the material) it would change the
prefix with every question. For attached files it is recalled here instead, with
the same query and budget, and goes after the material, just before the question
(``recall_here``); a template's user message is the material in the template's
own quoting, so there it stays in the system prompt, as before. ``--docs`` needs
nothing: its sources close the system prompt and the conversation's recall comes
after them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from lamp.agent.events import Event, Notice, Usage
from lamp.agent.framing import frame
from lamp.agent.models import Message

if TYPE_CHECKING:
    from lamp.agent.conversation import Conversation
    from lamp.agent.models import Backend

    from .result import RunResult

__all__ = ["fixed_lead", "fixed_messages", "material_first", "prefilled", "recall_here",
           "wants_lookup"]


def material_first(material: str, question: str) -> str:
    """Attached material, then what is asked about it."""
    return f"{material}\n\n{question}".strip()


def fixed_lead(user_text: Callable[[str], str]) -> str:
    """The start of the user message that no question changes: ``user_text`` composes the
    message around a question; two different questions share exactly that part."""
    first, second = user_text("1"), user_text("x")
    n = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
             min(len(first), len(second)))
    return first[:n]


def fixed_messages(system: str, examples: list[Message]) -> list[Message]:
    """The messages before the user's, as the conversation sends them (no history)."""
    return [*([Message("system", system)] if system else []), *examples]


def recall_here(conversation: Conversation, query: str) -> str:
    """What the conversation would recall for ``query`` (same budget, framed), recalled
    now so the caller can place it; the conversation then recalls nothing itself."""
    memory, backend = conversation.memory, conversation.backend
    if memory is None:
        return ""
    used = backend.count_tokens([Message("system", conversation.system_text()),
                                 Message("user", query)])
    free = backend.context_size - conversation.sampling.max_tokens - used
    budget = min(conversation.memory_budget, backend.context_size // 4, free)
    conversation.memory_budget = 0
    block = memory.recall(query, set(conversation.forgotten), budget) if budget > 32 else ""
    return frame("memory", block) if block else ""


def wants_lookup(setting: str, copies: bool) -> bool:
    """Whether to draft the reply from its prompt: ``prompt_lookup`` on, or auto for an
    answer that copies from its input."""
    return setting == "on" or (setting == "auto" and copies)


def prefilled(backend: Backend, messages: list[Message], user_prefix: str,
              events: Iterator[Event], result: RunResult) -> Iterator[Event]:
    """Make the prefix current, say how (``prefix cache: hit``, with ``--verbose``), then
    the answer's events. The first token counts from before the prefix was made current:
    that is what the user waited; ``--json`` shows the status and its seconds."""
    started = time.perf_counter()
    status = backend.warm_prefix(messages, user_prefix=user_prefix)
    seconds = time.perf_counter() - started
    result.details["prefix_cache"] = status
    result.details.setdefault("timings", {})["prefix_s"] = round(seconds, 4)
    yield Notice(f"prefix cache: {status}", level="debug")
    counted = False
    for event in events:
        if isinstance(event, Usage) and not counted:
            counted = True
            event = replace(event, seconds_to_first_token=event.seconds_to_first_token
                            + seconds, seconds_total=event.seconds_total + seconds)
        yield event
