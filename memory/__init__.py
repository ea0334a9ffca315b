"""lamp session memory in Chroma (never imports the agent).

Importing this package is cheap: its names load on first use (PEP 562), so a
command that only needs ``lamp.memory.errors`` (every command: the CLI's exit-code
table) does not pay for the store, its records and the encoders' metadata lookups;
chromadb and the embedding model load only when a ``MemoryStore`` is opened
(``MemoryStore.open_async`` does that in a thread).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import MemoryInputError, MemoryStoreError

if TYPE_CHECKING:
    from .recall import format_memory, recall
    from .records import Fact, RecalledItem, SearchHit, SessionInfo, Turn, approx_tokens
    from .store import MemoryStore

_WHERE = {
    "format_memory": "recall", "recall": "recall",
    "Fact": "records", "RecalledItem": "records", "SearchHit": "records",
    "SessionInfo": "records", "Turn": "records", "approx_tokens": "records",
    "MemoryStore": "store",
}

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


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
