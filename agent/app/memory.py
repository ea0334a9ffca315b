"""Session memory for one run: journal every exchange, open Chroma only when needed.

Opening Chroma costs about a second (imports, embedding model). Writing an
exchange needs none of it: it goes to the store's journal (memory/journal.py),
durably, in a millisecond, and whoever opens the store next indexes it. So a
one-shot `lamp ask` opens Chroma only when it may recall something: the user
named a session (`-c`, `--session`: its history), tools may search memory, or
remembered facts exist (the journal's hint says how many, without Chroma). Then
the store opens in a background thread behind the model load. Chat keeps the
store open and indexes each exchange in the background as it goes. A Chroma
server (`--memory-url`) has no journal and is written directly, after the answer
is printed. `--no-memory` touches none of this.

Turn numbers are the journal's to give, when it writes the exchange (several
`lamp ask -s NAME` at once must not take the same ones): the session's count read
here is handed on only as a floor, for turns Chroma holds outside the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lamp.agent.conversation import Conversation
from lamp.agent.errors import LampError
from lamp.agent.memory_link import StoreMemory
from lamp.agent.models import Backend

if TYPE_CHECKING:
    from lamp.memory import MemoryStore

__all__ = ["MemoryChoice", "MemoryLocation", "MemoryOpening", "attach_memory",
           "is_lamp_error", "model_name", "open_store", "start_memory"]


@dataclass(frozen=True)
class MemoryLocation:
    """Where the store is: a directory (embedded Chroma) or a Chroma server URL."""

    path: Path | None = None
    url: str | None = None

    @classmethod
    def resolve(cls, url: str | None, *, setting: str, data_dir: Path) -> MemoryLocation:
        """``url`` (``--memory-url``), else the ``memory_url`` setting, else
        ``<data dir>/memory``."""
        url = url or setting or None
        return cls(url=url) if url else cls(path=data_dir / "memory")

    def __str__(self) -> str:
        return self.url or str(self.path)


def open_store(location: MemoryLocation) -> MemoryStore:
    """Open the store at ``location`` (imports chromadb and the embedding model)."""
    from lamp.memory import MemoryStore

    return MemoryStore.open(location.path, url=location.url)


@dataclass(frozen=True)
class MemoryChoice:
    """What the user asked of memory for this run."""

    session: str | None = None
    continue_last: bool = False
    disabled: bool = False
    url: str | None = None
    needs_store: bool = False  # tools may search memory: open Chroma whatever the hints say
    long_lived: bool = False  # chat: keep the store open and index each exchange as it goes

    @property
    def explicit(self) -> bool:
        """The user asked for a particular session: failing to open memory is an error."""
        return self.session is not None or self.continue_last


@dataclass
class MemoryOpening:
    """What ``start_memory`` began: the journal (local stores) and, when something may be
    recalled, the store opening in a thread."""

    journal: Any  # lamp.memory.journal.Journal, or None for a server store
    store: Future[Any] | None
    location: MemoryLocation  # to open the store later if recall needs it


def start_memory(choice: MemoryChoice, location: MemoryLocation) -> MemoryOpening | None:
    if choice.disabled:
        return None
    journal = None
    may_hold_facts = True
    if location.path is not None:
        from lamp.memory.errors import MemoryInputError, MemoryStoreError
        from lamp.memory.journal import JOURNAL_NAME, Journal

        journal = Journal(location.path / JOURNAL_NAME)
        try:
            may_hold_facts = journal.may_hold_facts()
        except (MemoryInputError, MemoryStoreError):
            # A store path that cannot hold a journal cannot hold a store either: opening
            # the store below reports it, and attach_memory decides (a warning, or an error
            # for a named session), as for any store that fails to open.
            journal = None
    needed = (journal is None or choice.explicit or choice.needs_store or choice.long_lived
              or may_hold_facts)
    if not needed:
        return MemoryOpening(journal, None, location)
    from lamp.memory import MemoryStore

    return MemoryOpening(journal, MemoryStore.open_async(location.path, url=location.url),
                         location)


def model_name(backend: Backend) -> str:
    """What memory records as the model: a file path in process, a name on a server."""
    described = backend.describe()
    return str(described.get("path") or described.get("model") or "")


def is_lamp_error(exc: BaseException) -> bool:
    """One of lamp's own errors (the model's, the store's), as opposed to a bug."""
    from lamp.memory.errors import MemoryStoreError

    return isinstance(exc, (LampError, MemoryStoreError))


def attach_memory(conversation: Conversation, opening: MemoryOpening | None,
                  choice: MemoryChoice, count_text: Callable[[str], int], model: str,
                  load_history: bool, warn: Callable[[str], None]) -> StoreMemory | None:
    """Wire memory into the conversation; degrade to no memory with a warning unless the
    user named a session (then it is an error)."""
    if opening is None:
        return None
    try:
        if opening.store is None:  # a new session with nothing to recall: the journal only
            from lamp.memory.records import new_session_name

            link = StoreMemory(store=None, journal=opening.journal, session=new_session_name(),
                               count_text=count_text, model=model,
                               open_store=_opener(opening))
            conversation.memory = link
            return link
        store = opening.store.result()
        info = store.session(choice.session, continue_last=choice.continue_last)
        # A local store always writes through a journal (it numbers turns safely), even
        # when the early journal could not be opened; only a server store has none.
        journal = opening.journal
        if journal is None:
            journal = getattr(store, "journal", None)
        link = StoreMemory(store=store, journal=journal, session=info.name,
                           count_text=count_text, model=model,
                           next_turn=info.turns,  # a floor, never a write position
                           index_as_it_goes=choice.long_lived)
        if load_history and choice.explicit:
            conversation.load(link.load_history())
    except Exception as exc:
        if choice.explicit or not is_lamp_error(exc):  # a bug is not "memory unavailable"
            raise
        warn(f"memory unavailable, answering without it: {exc}")
        return None
    conversation.memory = link
    return link


def _opener(opening: MemoryOpening) -> Callable[[], Any]:
    """Opens the store on first need (a recall the hints could not rule out)."""
    def open_now() -> Any:
        return open_store(opening.location)
    return open_now
