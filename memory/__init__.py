"""lamp session memory in Chroma (never imports the agent).

Importing this package is cheap: chromadb and the embedding model load only when
a ``MemoryStore`` is opened (``MemoryStore.open_async`` does that in a thread).
"""

from __future__ import annotations

from .errors import MemoryInputError, MemoryStoreError
from .recall import format_memory, recall
from .records import Fact, RecalledItem, SearchHit, SessionInfo, Turn, approx_tokens
from .store import MemoryStore

__all__ = [
    "Fact",
    "MemoryInputError",
    "MemoryStore",
    "MemoryStoreError",
    "RecalledItem",
    "SearchHit",
    "SessionInfo",
    "Turn",
    "approx_tokens",
    "format_memory",
    "recall",
]
