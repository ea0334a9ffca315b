"""The conversation's link to session memory (lamp.memory), kept out of the loop itself.

The loop only asks two things of memory: "what do you recall about this
message, leaving out the turns still in my window?" and "keep this exchange".
This adapter answers them with a MemoryStore, numbering turns itself so a
retried write overwrites rather than duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from .models import Message

__all__ = ["MemoryHook", "StoreMemory"]


class MemoryHook(Protocol):
    def recall(self, query: str, exclude_turns: set[int], token_budget: int) -> str: ...

    def record(self, user: str, assistant: str) -> tuple[int, int]: ...


@dataclass
class StoreMemory:
    """A MemoryStore session seen through the MemoryHook protocol."""

    store: Any  # lamp.memory.MemoryStore (imported lazily: chromadb is heavy)
    session: str
    count_text: Callable[[str], int]
    model: str = ""
    next_turn: int = 0
    recall_k: int = 6
    pending: list[Future[Any]] = field(default_factory=list)

    def load_history(self, last: int = 400) -> list[tuple[int, Message]]:
        """The session's latest turns, oldest first, with their turn numbers."""
        turns = self.store.history(self.session, last=last)
        if turns:
            self.next_turn = max(self.next_turn, max(t.n for t in turns) + 1)
        return [(t.n, Message(t.role, t.text)) for t in turns if t.role in ("user", "assistant")]

    def recall(self, query: str, exclude_turns: set[int], token_budget: int) -> str:
        from lamp.memory import format_memory, recall

        items = recall(self.store, query, session=self.session, exclude_turns=exclude_turns,
                       k=self.recall_k, token_budget=token_budget, count_tokens=self.count_text)
        return format_memory(items)

    def record(self, user: str, assistant: str) -> tuple[int, int]:
        first = self.next_turn
        self.next_turn += 2
        self.pending.append(self.store.append_turns_later(
            self.session, [("user", user), ("assistant", assistant)], model=self.model,
            start=first))
        return first, first + 1

    def close(self) -> None:
        """Wait for deferred writes (raising their errors) and release the store."""
        try:
            for future in self.pending:
                future.result()
        finally:
            self.store.close()
