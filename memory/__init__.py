"""lamp session memory in Chroma (never imports the agent).

Importing this package is cheap: ``MemoryStore`` loads on first use (PEP 562), so a
command that only needs ``lamp.memory.errors`` (every command: the CLI's exit-code
table) does not pay for the store and its encoders' metadata lookups; chromadb and
the embedding model load only when a ``MemoryStore`` is opened
(``MemoryStore.open_async`` does that in a thread). The small modules load here:
``recall`` is both a submodule and a function, and only an eager import keeps the
package's ``recall`` the function.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from .errors import MemoryInputError, MemoryStoreError
from .recall import format_memory, recall
from .records import Fact, RecalledItem, SearchHit, SessionInfo, Turn, approx_tokens

if _typing.TYPE_CHECKING:
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


def __getattr__(name: str) -> object:
    if name == "MemoryStore":
        value = _importlib.import_module(".store", __name__).MemoryStore
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "MemoryStore"})
