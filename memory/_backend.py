"""Where the collections live: an embedded Chroma directory or a Chroma server.

Both backends hand out the same ``Collections`` inside a ``window(write=...)``
context, so the store above has one code path.  The embedded backend wraps each
window in the cross-process lock (see ``_lock``) and reopens its client when
another process wrote since it last looked; the server backend needs neither,
because the server is the only process touching the files.

chromadb is imported here lazily, inside ``open``, never at module import time.

The embedded store's directory is 0700 (created so, or tightened when an older
lamp made it 0755): Chroma creates its SQLite file and index segments itself with
the process umask, so the directory is what keeps other users out of them, and
each window that opened the client or wrote clears the group/other bits of
whatever Chroma created (``private_fs.tighten_tree``), inside the lock.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._lock import GEN_NAME, LOCK_NAME, StoreLock
from .errors import MemoryInputError, MemoryStoreError
from .journal import CHROMA_DB_NAME, JOURNAL_NAME
from .private_fs import make_private_dirs, tighten_tree

__all__ = ["Collections", "LocalBackend", "ServerBackend", "parse_server_url"]

TURNS = "lamp_turns"
FACTS = "lamp_facts"
DOCUMENTS = "lamp_documents"
SESSIONS = "lamp_sessions"
_SQLITE = CHROMA_DB_NAME


@dataclass
class Collections:
    """The four chromadb collections of one store (typed loosely: chromadb is lazy)."""

    turns: Any
    facts: Any
    documents: Any
    sessions: Any

    def by_kind(self, kind: str) -> Any:
        return {"turn": self.turns, "fact": self.facts, "doc": self.documents}[kind]


_SETTINGS: list[Any] = []


def _settings() -> Any:
    """Chroma settings, built once: pydantic-settings re-reads the environment each time."""
    if not _SETTINGS:
        from chromadb.config import Settings

        _SETTINGS.append(Settings(anonymized_telemetry=False))
    # PersistentClient writes the path into the object it gets: hand out copies.
    return _SETTINGS[0].model_copy()


def _collections(client: Any, embedding_function: Any) -> Collections:
    """Open (or create) the collections, refusing a store built with another model:
    Chroma itself would happily mix two models' vectors in one index."""
    encoder = embedding_function.get_config()["encoder"]

    def make(name: str, ef: Any) -> Any:
        try:
            col = client.get_collection(name, embedding_function=ef)
        except Exception as exc:  # chromadb raises NotFoundError (a ValueError in 1.x)
            if "does not exist" not in str(exc) and type(exc).__name__ != "NotFoundError":
                raise
            return client.create_collection(
                name,
                embedding_function=ef,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"lamp_encoder": encoder if ef is not None else "none"},
            )
        built_with = (col.metadata or {}).get("lamp_encoder")
        if ef is not None and built_with not in (None, encoder):
            raise MemoryInputError(
                f"this memory store was built with the embedding model {built_with!r}, "
                f"not {encoder!r}; open it with the same model"
            )
        return col

    return Collections(
        turns=make(TURNS, embedding_function),
        facts=make(FACTS, embedding_function),
        documents=make(DOCUMENTS, embedding_function),
        # Session records carry only metadata; they are written with a constant
        # one-dimensional vector so no embedding is ever computed for them.
        sessions=make(SESSIONS, None),
    )


def check_store_dir(path: Path) -> None:
    """Refuse paths that are not a (possibly new) lamp store, before Chroma touches them.

    Chroma would happily create a fresh, empty database inside any directory;
    for a user whose store is damaged that means silently losing their memory.
    """
    if path.exists() and not path.is_dir():
        raise MemoryInputError(f"memory store path {path} exists and is not a directory")
    if not path.exists():
        return
    try:
        entries = {p.name for p in path.iterdir()}
    except OSError as exc:
        raise MemoryInputError(f"memory store path {path} is not readable: {exc}") from exc
    ours = {LOCK_NAME, GEN_NAME, GEN_NAME.replace(".gen", ".tmp"),
            *(JOURNAL_NAME + suffix for suffix in ("", "-wal", "-shm", "-journal"))}
    if entries - ours and _SQLITE not in entries:
        raise MemoryInputError(
            f"{path} is not empty and holds no Chroma database ({_SQLITE}); "
            "refusing to create a new store over it"
        )
    db = path / _SQLITE
    if db.exists():
        try:
            with db.open("rb") as fh:
                header = fh.read(16)
        except OSError as exc:
            raise MemoryInputError(f"memory store {db} is not readable: {exc}") from exc
        if header and header != b"SQLite format 3\x00":
            raise MemoryInputError(f"memory store {db} is corrupted (not an SQLite file)")


class LocalBackend:
    """Embedded ``PersistentClient`` at a directory, serialized across processes."""

    def __init__(self, path: Path, embedding_function: Any) -> None:
        self.path = path
        self.description = str(path)
        self._ef = embedding_function
        check_store_dir(path)
        try:
            make_private_dirs(path)
        except OSError as exc:
            raise MemoryInputError(f"cannot create memory store at {path}: {exc}") from exc
        self._lock = StoreLock(path)
        self._client: Any = None
        self._cols: Collections | None = None
        self._seen = ""

    def _open(self) -> Collections:
        import chromadb

        try:
            self._client = chromadb.PersistentClient(path=str(self.path), settings=_settings())
            self._cols = _collections(self._client, self._ef)
        except MemoryInputError:
            self._close()
            raise
        except Exception as exc:
            self._close()
            raise MemoryInputError(
                f"cannot open memory store {self.path} (corrupted or unreadable?): {exc}"
            ) from exc
        return self._cols

    def _close(self) -> None:
        client, self._client, self._cols = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    @contextlib.contextmanager
    def window(self, *, write: bool) -> Iterator[Collections]:
        """One short locked window; after a write the client is closed inside it,
        so its index is flushed before any other process can open the store."""
        with self._lock.hold():
            current = self._lock.generation()
            opened = self._cols is None or current != self._seen
            if opened:
                self._close()
                self._open()
            assert self._cols is not None
            try:
                yield self._cols
            finally:
                if write:
                    self._close()
                    self._seen = self._lock.bump()
                else:
                    self._seen = current
                if write or opened:  # Chroma may have created files (0644 under umask 022)
                    tighten_tree(self.path)

    def warm(self) -> None:
        """Open the client now (e.g. in a background thread) so the next read is fast."""
        with self.window(write=False):
            pass

    def close(self) -> None:
        with self._lock.hold():
            self._close()


def parse_server_url(url: str) -> tuple[str, int, bool]:
    """``http://host:port`` -> (host, port, ssl); raises MemoryInputError if malformed."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise MemoryInputError(f"bad memory server URL {url!r}: expected http(s)://HOST[:PORT]")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    except ValueError as exc:
        raise MemoryInputError(f"bad memory server URL {url!r}: {exc}") from exc
    return parsed.hostname, port, parsed.scheme == "https"


class ServerBackend:
    """A Chroma server reached with ``HttpClient``; the server serializes writers."""

    def __init__(self, url: str, embedding_function: Any) -> None:
        self.url = url
        self.description = url
        self._host, self._port, self._ssl = parse_server_url(url)
        self._ef = embedding_function
        self._cols: Collections | None = None

    def _open(self) -> Collections:
        import chromadb

        try:
            client = chromadb.HttpClient(
                host=self._host, port=self._port, ssl=self._ssl, settings=_settings()
            )
            client.heartbeat()
            self._cols = _collections(client, self._ef)
        except MemoryInputError:
            raise
        except Exception as exc:
            raise MemoryStoreError(f"cannot reach the memory server at {self.url}: {exc}") from exc
        return self._cols

    @contextlib.contextmanager
    def window(self, *, write: bool) -> Iterator[Collections]:
        cols = self._cols or self._open()
        try:
            yield cols
        except MemoryStoreError:
            raise
        except Exception as exc:
            if type(exc).__module__.startswith(("httpx", "httpcore")):
                raise MemoryStoreError(f"memory server at {self.url} failed: {exc}") from exc
            raise

    def warm(self) -> None:
        with self.window(write=False):
            pass

    def close(self) -> None:
        self._cols = None
