"""What a chat says about itself: ``/stats``, ``/sessions`` and ``/set``'s current values.

Plain lines of text built from what the chat holds; the chat says them, the CLI shows
them like any command's reply. Kept apart from the chat's decisions (lamp.agent.app.chat)
so each reads on its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lamp.agent.models import Sampling

if TYPE_CHECKING:
    from lamp.agent.conversation import Conversation
    from lamp.agent.memory_link import StoreMemory
    from lamp.memory.records import SessionInfo

    from .result import RunResult

__all__ = ["SESSIONS_SHOWN", "sampling_line", "sessions_lines", "sessions_reply", "stats_lines"]

SESSIONS_SHOWN = 20  # the most recent; `lamp memory list` shows them all


def sampling_line(sampling: Sampling) -> str:
    seed = "random" if sampling.seed is None else sampling.seed
    return (f"temperature {sampling.temperature}, top_p {sampling.top_p}, top_k "
            f"{sampling.top_k}, max_tokens {sampling.max_tokens}, seed {seed}, "
            f"repeat_penalty {sampling.repeat_penalty}")


def stats_lines(conversation: Conversation, last: RunResult | None,
                memory: StoreMemory | None, *, tools: str | None, docs: bool,
                collection: str | None) -> list[str]:
    """The last answer's speed, the context window's use, and what is on."""
    lines = [_last_answer(last)]
    size = conversation.backend.context_size
    used = conversation.window_tokens()
    lines.append(f"context: {used:,} of {size:,} tokens used by the conversation, "
                 f"{max(size - used, 0):,} left (each answer may take "
                 f"{conversation.sampling.max_tokens:,})")
    shown = len(conversation.history) - conversation.folded
    lines.append(f"history: {len(conversation.history)} messages, {shown} of them sent; "
                 + (f"the earliest {conversation.folded} kept as a running summary"
                    if conversation.summary else "no running summary"))
    lines.append(f"memory: on, session {memory.session}" if memory is not None
                 else "memory: off")
    lines.append(f"tools: {tools or 'off'}; documents: "
                 + (f"on ({collection or 'all collections'})" if docs else "off"))
    lines.append(f"sampling: {sampling_line(conversation.sampling)}")
    return lines


def _last_answer(last: RunResult | None) -> str:
    if last is None:
        return "last answer: none yet"
    usage = last.usage
    if usage is None:
        return "last answer: stopped before it finished (no timing)"
    speed = usage.tokens_per_second
    rate = f"{speed:.1f} tokens/s" if speed else "too short to time"
    ended = {"length": "cut off at max_tokens", "stop": "complete"}.get(
        usage.finish_reason, usage.finish_reason or "?")
    return (f"last answer: {usage.completion_tokens:,} tokens in {usage.seconds_total:.2f} s, "
            f"{rate}, first token after {usage.seconds_to_first_token:.2f} s; "
            f"prompt {usage.prompt_tokens:,} tokens; {ended}")


def sessions_lines(sessions: Sequence[SessionInfo], *, current: str) -> list[str]:
    """The most recent sessions, this chat's marked with ``*``."""
    if not sessions:
        return ["(no sessions stored yet)"]
    lines = []
    for info in sessions[:SESSIONS_SHOWN]:
        mark = "*" if info.name == current else " "
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.updated))
        lines.append(f"{mark} {info.name}  turns={info.turns}  {when}")
    if len(sessions) > SESSIONS_SHOWN:
        lines.append(f"  … and {len(sessions) - SESSIONS_SHOWN} more (lamp memory list)")
    return lines


def sessions_reply(memory: StoreMemory | None) -> str:
    """``/sessions``: what the chat's store holds (read from it: a second or so of Chroma
    at most, and only when asked)."""
    from lamp.agent.errors import LampError
    from lamp.memory.errors import MemoryStoreError

    if memory is None:
        return "memory off: no sessions to list"
    if memory.store is None:  # journal only: nothing indexed to list yet
        return "(no sessions stored yet)"
    try:
        found = memory.store.sessions()
    except (LampError, MemoryStoreError) as exc:
        return f"could not list sessions: {exc}"
    return "\n".join(sessions_lines(found, current=memory.session))
