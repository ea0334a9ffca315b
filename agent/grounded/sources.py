"""Numbered sources for a grounded answer: retrieved from ingested documents, fitted to a budget.

Retrieval itself is ``MemoryStore.documents.search`` (hybrid: vectors + BM25);
the prompt, the citation grammar and the check are ``answer.py``. This module
turns hits into ``Source``s within the token budget the question leaves.
"""

from __future__ import annotations

import os
from typing import Any

from ..models import Backend, Message
from .answer import Source, fit_sources

__all__ = ["retrieve_sources", "source_budget"]


def source_budget(backend: Backend, system: str, question: str, max_tokens: int,
                  reserve: int = 0) -> int:
    """Tokens for the sources block: at most half the context, and what is left after the
    answer, the system prompt, the question and ``reserve``."""
    used = backend.count_tokens([Message("system", system), Message("user", question)])
    free = backend.context_size - max_tokens - used - reserve - 96
    return max(0, min(free, backend.context_size // 2))


def retrieve_sources(store: Any, question: str, *, collection: str | None, k: int,
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
