"""``lamp ask --docs``: retrieve numbered sources from ingested documents, list them after.

Retrieval itself is ``MemoryStore.documents.search`` (hybrid: vectors + BM25); the
prompt, the citation grammar and the check are ``lamp.agent.grounded``. This module
joins them for the CLI: it turns hits into sources within the token budget, and
shows the sources after the answer (on stdout on a terminal, on stderr in a pipe
so stdout stays the answer alone; ``--json`` carries them instead).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from lamp.agent.events import Event
from lamp.agent.grounded.answer import Source, fit_sources
from lamp.agent.models import Backend, Message
from lamp.agent.visible_text import visible

__all__ = ["DocsStore", "docs_events", "docs_sources", "show_sources", "source_budget"]

def _shown(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


def source_budget(backend: Backend, system: str, question: str, max_tokens: int,
                  reserve: int = 0) -> int:
    """Tokens for the sources block: at most half the context, and what is left after the
    answer, the system prompt, the question and ``reserve``."""
    used = backend.count_tokens([Message("system", system), Message("user", question)])
    free = backend.context_size - max_tokens - used - reserve - 96
    return max(0, min(free, backend.context_size // 2))


def docs_sources(store: Any, question: str, *, collection: str | None, k: int,
                 budget: int, backend: Backend) -> list[Source]:
    """Hybrid-retrieve up to ``k`` chunks and keep those that fit ``budget`` tokens.

    An empty store or an unknown collection is a usage error (exit 2), not an answer
    that looks grounded and is not.
    """
    from lamp.memory.errors import MemoryInputError

    known = store.documents.collections()
    if not known:
        raise MemoryInputError("no documents ingested yet: run `lamp memory ingest PATH` first")
    if collection is not None and collection not in known:
        raise MemoryInputError(f"unknown document collection {collection!r} "
                               f"(known: {', '.join(sorted(known))})")
    hits = store.documents.search(question, collection=collection, k=k)
    candidates = [Source(n=i + 1, label=os.path.basename(h.source), text=h.text,
                         path=h.source, id=h.id, collection=h.collection, chunk=h.chunk,
                         offset=h.offset, score=h.score, vector_rank=h.vector_rank,
                         bm25_rank=h.bm25_rank, bridge_rank=h.bridge_rank,
                         chunks=h.chunks)
                  for i, h in enumerate(hits)]
    return fit_sources(candidates, budget, backend.count_text)


def _first_words(text: str, width: int = 60) -> str:
    """The start of a source's text for the listing; a document's escape sequences and
    bidi controls are shown as escapes, never sent to the terminal."""
    flat = " ".join(text.split())
    return visible(flat if len(flat) <= width else flat[: width - 1] + "…")


def show_sources(sources: Sequence[Source], cited: Sequence[int], *, quiet: bool) -> None:
    """List the sources after the answer; cited ones are marked with ``*``."""
    if quiet or not sources:
        return
    terminal = sys.stdout.isatty()
    out = sys.stdout if terminal else sys.stderr
    lines = ["", "Sources:"] if terminal else ["lamp: sources:"]
    for s in sources:
        mark = "*" if s.n in cited else " "
        lines.append(f" {mark}[{s.n}] {visible(_shown(s.path))}{s.part()}: "
                     f"\"{_first_words(s.text)}\"")
    out.write("\n".join(lines) + "\n")
    out.flush()


class DocsStore:
    """The store a chat's ``/docs`` turns read: the memory link's own when it has one
    open (one client per store in a process), else one opened on first use and closed
    with the chat."""

    def __init__(self, rt: Any, url: str | None) -> None:
        self._rt, self._url, self._own = rt, url, None

    def get(self) -> Any:
        link = self._rt.memory
        if link is not None and link.store is not None:
            return link.store
        if self._own is None:
            from .memory import memory_location, open_store

            self._own = open_store(memory_location(self._url))
        return self._own

    def close(self) -> None:
        own, self._own = self._own, None
        if own is not None:
            own.close()


def docs_events(conversation: Any, link: Any, *, question: str, user_text: str,
                memory_url: str | None, collection: str | None, k: int
                ) -> tuple[Iterator[Event], list[Source]]:
    """``ask --docs``: retrieve sources for ``question`` from the memory link's store (or
    one opened for this, when memory is off) and start the grounded answer."""
    from lamp.agent.grounded.answer import ask_grounded

    from .memory import memory_location, open_store

    backend = conversation.backend
    store = link.store if link is not None and link.store is not None else None
    own = store is None
    if own:
        store = open_store(memory_location(memory_url))
    try:
        budget = source_budget(backend, conversation.system, user_text,
                               conversation.sampling.max_tokens,
                               reserve=conversation.memory_budget if link is not None else 0)
        sources = docs_sources(store, question, collection=collection, k=k, budget=budget,
                               backend=backend)
    finally:
        if own:
            store.close()
    return ask_grounded(conversation, user_text, sources,
                        base_system=conversation.system), sources
