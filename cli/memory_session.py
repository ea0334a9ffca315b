"""Session memory for `ask` and `chat`: open the store early, attach it, save after printing.

Opening Chroma costs about a second (imports, embedding model), so it starts
in a background thread before the model loads; writes are queued and finish
after the answer is on screen. `--no-memory` never touches chromadb at all.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from lamp.agent.conversation import Conversation
from lamp.agent.memory_link import StoreMemory
from lamp.agent.models import Backend

from .errors import is_reported
from .render import warn

__all__ = ["Continue", "MemoryChoice", "MemoryUrl", "NoMemory", "SessionName", "attach_memory",
           "model_name", "start_memory"]

SessionName = Annotated[str | None, typer.Option(
    "--session", "-s", help="Session to use (created if new).", rich_help_panel="Memory",
    show_default=False)]
Continue = Annotated[bool, typer.Option(
    "--continue", "-c", help="Continue the most recent session.", rich_help_panel="Memory")]
MemoryUrl = Annotated[str | None, typer.Option(
    "--memory-url", help="Chroma server for memory (default: the local store).",
    rich_help_panel="Memory", show_default=False)]
NoMemory = Annotated[bool, typer.Option(
    "--no-memory", help="Neither read nor write memory (deterministic scripting).",
    rich_help_panel="Memory")]


@dataclass
class MemoryChoice:
    session: str | None
    continue_last: bool
    disabled: bool
    url: str | None = None

    @property
    def explicit(self) -> bool:
        """The user asked for a particular session: failing to open memory is an error."""
        return self.session is not None or self.continue_last


def start_memory(choice: MemoryChoice) -> Future[Any] | None:
    if choice.disabled:
        return None
    from lamp.memory import MemoryStore

    from .memory import memory_location

    location = memory_location(choice.url)
    return MemoryStore.open_async(location.path, url=location.url)


def model_name(backend: Backend) -> str:
    """What memory records as the model: a file path in process, a name on a server."""
    described = backend.describe()
    return str(described.get("path") or described.get("model") or "")


def attach_memory(conversation: Conversation, opening: Future[Any] | None,
                  choice: MemoryChoice, count_text: Callable[[str], int], model: str,
                  load_history: bool) -> StoreMemory | None:
    """Wire the opened store into the conversation; degrade to no memory with a warning
    unless the user named a session (then it is an error)."""
    if opening is None:
        return None
    try:
        store = opening.result()
        info = store.session(choice.session, continue_last=choice.continue_last)
        link = StoreMemory(store=store, session=info.name, count_text=count_text, model=model,
                           next_turn=info.turns)
        if load_history and (choice.explicit):
            conversation.load(link.load_history())
    except Exception as exc:
        if choice.explicit or not is_reported(exc):  # a bug is not "memory unavailable"
            raise
        warn(f"memory unavailable, answering without it: {exc}")
        return None
    conversation.memory = link
    return link
