"""The conversation's link to session memory (lamp.memory), kept out of the loop itself.

The loop only asks two things of memory: "what do you recall about this
message, leaving out the turns still in my window?" and "keep this exchange".
This adapter answers them with a MemoryStore and its journal. An exchange is kept
by appending it to the journal (durable at once), which numbers its turns inside
its write transaction, so several processes writing one session never take the
same numbers; the store indexes it when it is next opened, or in the background as
it goes when asked to (chat). A Chroma server store has no journal: the store
numbers the turns when it writes them, after the answer is printed. Without an
open store (a new one-shot session with no facts to recall) nothing of Chroma is
loaded; it opens on the first recall that could find something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from .models import Message

__all__ = ["MemoryHook", "StoreMemory"]


class MemoryHook(Protocol):
    def recall(self, query: str, exclude_turns: set[int], token_budget: int) -> str: ...

    def record(self, user: str, assistant: str) -> tuple[int, int]: ...

    def forget(self, turns: Sequence[tuple[int, str]]) -> None: ...


@dataclass
class StoreMemory:
    """A MemoryStore session seen through the MemoryHook protocol."""

    store: Any  # lamp.memory.MemoryStore, or None until a recall needs it (chromadb is heavy)
    session: str
    count_text: Callable[[str], int]
    model: str = ""
    # How many turns the session is known to hold (a lower bound: other processes may
    # add more). Never used as a write position, only as the journal's floor.
    next_turn: int = 0
    recall_k: int = 6
    journal: Any = None  # lamp.memory.journal.Journal; None for a server store (direct writes)
    open_store: Callable[[], Any] | None = None  # opens the store when ``store`` is None
    index_as_it_goes: bool = False  # index each exchange in the background (long-lived runs)
    pending: list[Future[Any]] = field(default_factory=list)

    def load_history(self, last: int = 400) -> list[tuple[int, Message]]:
        """The session's latest turns, oldest first, with their turn numbers."""
        turns = self.store.history(self.session, last=last)
        if turns:
            self.next_turn = max(self.next_turn, max(t.n for t in turns) + 1)
        return [(t.n, Message(t.role, t.text)) for t in turns if t.role in ("user", "assistant")]

    def _may_recall(self, exclude_turns: set[int]) -> bool:
        """Without an open store: could a recall find anything? Earlier turns of this
        session outside the window, or remembered facts (the journal's hint)."""
        if self.next_turn > len(exclude_turns):
            return True
        return self.journal is None or self.journal.may_hold_facts()

    def recall(self, query: str, exclude_turns: set[int], token_budget: int) -> str:
        from lamp.memory import format_memory, recall

        if self.store is None:
            if self.open_store is None or not self._may_recall(exclude_turns):
                return ""
            self.store = self.open_store()
        items = recall(self.store, query, session=self.session, exclude_turns=exclude_turns,
                       k=self.recall_k, token_budget=token_budget, count_tokens=self.count_text)
        return format_memory(items)

    def record(self, user: str, assistant: str) -> tuple[int, int]:
        exchange = [("user", user), ("assistant", assistant)]
        if self.journal is None:  # a server store: written after the answer is printed
            self.pending.append(self.store.append_turns_later(
                self.session, exchange, model=self.model))
            first = self.next_turn  # what the store will most likely assign
            self.next_turn += 2
            return first, first + 1
        turns = self.journal.append(self.session, exchange, model=self.model,
                                    at_least=self.next_turn)
        self.next_turn = turns[-1].n + 1
        if self.index_as_it_goes and self.store is not None:
            self.pending.append(self.store.later(self.store.sync_journal))
        return turns[0].n, turns[1].n

    def forget(self, turns: Sequence[tuple[int, str]]) -> None:
        """Take ``(turn number, role)`` turns out of the session (chat's ``/undo``, the answer
        a ``/retry`` replaced): on the store's own writer, after the indexing already queued,
        the journal's tail is indexed (so nothing of them comes back from it later) and the
        turns are deleted from Chroma. The journal keeps its durable copy, marked indexed,
        until the session is forgotten. Without an open store nothing is done here; the
        conversation still never recalls them."""
        if self.store is None or not turns:
            return
        from lamp.memory.errors import MemoryInputError
        from lamp.memory.records import turn_id

        store, ids = self.store, [turn_id(self.session, n, role) for n, role in turns]

        def forget_now() -> None:
            store.sync_journal()
            for item in ids:
                with suppress(MemoryInputError):  # never indexed (a server store's guess)
                    store.forget(item)

        self.pending.append(store.later(forget_now))

    def close(self) -> None:
        """Wait for deferred writes (raising their errors) and release the store."""
        try:
            for future in self.pending:
                future.result()
        finally:
            if self.store is not None:
                self.store.close()
            if self.journal is not None:
                self.journal.close()
