"""The memory store: sessions, turns, facts and documents in Chroma.

Embeddings are computed *outside* the locked window and handed to Chroma with
the text, so a window holds only the upsert or the query itself (milliseconds).
Every write is an upsert with a deterministic id, so retrying after a crash does
no harm, and the text is stored next to its vector so the index can be rebuilt.

Opening costs ``import chromadb`` (about 1 s) plus the embedding model; callers
that must not wait use ``MemoryStore.open_async`` and ``append_turns_later``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ._backend import Collections, LocalBackend, ServerBackend
from ._encoders import DEFAULT_ENCODER, Encoder, load_encoder
from .documents import DEFAULT_COLLECTION, Documents
from .errors import MemoryInputError
from .journal import JOURNAL_NAME, Journal
from .records import Fact, SearchHit, SessionInfo, Turn, fact_id, new_session_name

__all__ = ["MemoryStore"]

_ONE = [[1.0]]  # the constant vector of session records (they are never searched)
_BATCH = 500


def _check_session_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or any(ch in name for ch in "\n\r\t"):
        raise MemoryInputError(f"bad session name {name!r}: 1-200 characters, one line")
    return name


def _session_from(meta: dict[str, Any]) -> SessionInfo:
    return SessionInfo(
        name=str(meta["name"]),
        created=float(meta["created"]),
        updated=float(meta["updated"]),
        turns=int(meta["turns"]),
        model=str(meta.get("model", "")),
    )


def _rows(result: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    docs = result.get("documents") or [""] * len(result["ids"])
    metas = result.get("metadatas") or [{}] * len(result["ids"])
    return [(i, d or "", dict(m or {})) for i, d, m in zip(result["ids"], docs, metas, strict=True)]


class MemoryStore:
    """One memory store, embedded at ``path`` or on a Chroma server at ``url``."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        url: str | None = None,
        model: str = DEFAULT_ENCODER,
    ) -> None:
        from ._chroma_ef import LampEmbeddingFunction  # imports chromadb

        if (path is None) == (url is None):
            raise MemoryInputError("give exactly one of a store path or a server URL")
        self.encoder: Encoder = load_encoder(model)
        ef = LampEmbeddingFunction(self.encoder, model=model)
        self._backend: LocalBackend | ServerBackend = (
            ServerBackend(url, ef) if url is not None else LocalBackend(Path(path), ef)  # type: ignore[arg-type]
        )
        self.location = self._backend.description
        self._documents = Documents(self._backend, self.encoder)  # one, so its BM25 index lasts
        self._worker: ThreadPoolExecutor | None = None
        # A local store has a journal (memory/journal.py); a server store is written directly.
        self.journal: Journal | None = (
            Journal(Path(path) / JOURNAL_NAME) if url is None else None  # type: ignore[arg-type]
        )

    # -- opening ---------------------------------------------------------------
    @classmethod
    def open(
        cls, path: Path | str | None = None, *, url: str | None = None, model: str = DEFAULT_ENCODER
    ) -> MemoryStore:
        """Open the store and its client now (so errors such as a bad path show here)."""
        store = cls(path, url=url, model=model)
        store._backend.warm()
        store.sync_journal()
        return store

    @classmethod
    def open_async(
        cls, path: Path | str | None = None, *, url: str | None = None, model: str = DEFAULT_ENCODER
    ) -> Future[MemoryStore]:
        """Start opening in a background thread (hide the import behind the model load).

        ``.result()`` returns the store or raises what ``open`` would have raised.
        """
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lamp-memory-open")
        future = pool.submit(cls.open, path, url=url, model=model)
        pool.shutdown(wait=False)
        return future

    def close(self) -> None:
        """Finish deferred writes, then release the client."""
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None
        self._backend.close()
        if self.journal is not None:
            self.journal.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def later(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` on this store's single background writer, in submission order."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lamp-memory")
        return self._worker.submit(fn, *args, **kwargs)

    # -- sessions --------------------------------------------------------------
    def sessions(self) -> list[SessionInfo]:
        """All sessions, most recently used first."""
        with self._backend.window(write=False) as c:
            got = c.sessions.get(include=["metadatas"])
        found = [_session_from(meta) for _, _, meta in _rows(got)]
        return sorted(found, key=lambda s: s.updated, reverse=True)

    def get_session(self, name: str) -> SessionInfo | None:
        with self._backend.window(write=False) as c:
            got = c.sessions.get(ids=[f"session:{name}"], include=["metadatas"])
        rows = _rows(got)
        return _session_from(rows[0][2]) if rows else None

    def most_recent_session(self) -> SessionInfo | None:
        found = self.sessions()
        return found[0] if found else None

    def session(self, name: str | None = None, *, continue_last: bool = False) -> SessionInfo:
        """Pick ``name`` (created if new), or the most recent with ``continue_last``,
        or else a new session with a fresh name: what ``--session``/``-c`` mean."""
        if name is None and continue_last:
            recent = self.most_recent_session()
            if recent is not None:
                return recent
        if name is None:
            name = new_session_name()
        name = _check_session_name(name)
        with self._backend.window(write=True) as c:
            existing = _rows(c.sessions.get(ids=[f"session:{name}"], include=["metadatas"]))
            if existing:
                return _session_from(existing[0][2])
            now = time.time()
            info = SessionInfo(name=name, created=now, updated=now, turns=0)
            self._put_session(c, info)
        return info

    @staticmethod
    def _put_session(c: Collections, info: SessionInfo) -> None:
        meta = {
            "name": info.name,
            "created": info.created,
            "updated": info.updated,
            "turns": info.turns,
            "model": info.model,
        }
        c.sessions.upsert(
            ids=[f"session:{info.name}"], embeddings=_ONE, documents=[info.name], metadatas=[meta]
        )

    # -- turns -----------------------------------------------------------------
    def append_turns(
        self,
        session: str,
        messages: Sequence[tuple[str, str]],
        *,
        model: str = "",
        start: int | None = None,
        at: float | None = None,
    ) -> list[Turn]:
        """Store ``(role, text)`` messages as the next turns of ``session``; returns them
        with their numbers.

        Without ``start`` the numbers continue the session's count, read inside the write
        window (under the cross-process lock for an embedded store). ``start`` is for
        turns that already have numbers: the journal's entries being indexed (it assigned
        them), so indexing twice overwrites. ``at`` is when they were said (now unless
        given: the journal passes its own times).
        """
        session = _check_session_name(session)
        texts = [text for _, text in messages]
        vectors = self.encoder.embed_passages(texts)  # outside the lock
        now = time.time() if at is None else at
        with self._backend.window(write=True) as c:
            found = _rows(c.sessions.get(ids=[f"session:{session}"], include=["metadatas"]))
            info = _session_from(found[0][2]) if found else SessionInfo(session, now, now, 0)
            first = info.turns if start is None else start
            turns = [
                Turn(session, first + i, role, text, now, model)
                for i, (role, text) in enumerate(messages)
            ]
            if turns:
                c.turns.upsert(
                    ids=[t.id for t in turns],
                    embeddings=vectors,
                    documents=texts,
                    metadatas=[
                        {
                            "session": session,
                            "turn": t.n,
                            "role": t.role,
                            "time": now,
                            "model": model,
                        }
                        for t in turns
                    ],
                )
            count = max(info.turns, first + len(turns))
            self._put_session(
                c, SessionInfo(session, min(info.created, now), max(info.updated, now), count,
                               model or info.model)
            )
        return turns

    def sync_journal(self) -> int:
        """Index the journal's unindexed turns into Chroma (idempotent: deterministic ids)
        and refresh its hints; returns how many turns were indexed."""
        if self.journal is None:
            return 0
        done = 0
        while batch := self.journal.pending():
            for run in _runs(batch):
                self.append_turns(run[0].session, [(e.role, e.text) for e in run],
                                  model=run[-1].model, start=run[0].n, at=run[0].time)
            self.journal.mark_indexed(batch)
            done += len(batch)
        self._refresh_hints()
        return done

    def _refresh_hints(self) -> None:
        if self.journal is not None:
            with self._backend.window(write=False) as c:
                facts = c.facts.count()
            self.journal.set_hint("facts", facts)

    def append_turns_later(
        self,
        session: str,
        messages: Sequence[tuple[str, str]],
        *,
        model: str = "",
    ) -> Future[list[Turn]]:
        """``append_turns`` on the background writer; call after printing the answer. The
        future's turns carry the numbers the store gave them."""
        return self.later(self.append_turns, session, list(messages), model=model)

    def history(self, session: str, *, last: int | None = None) -> list[Turn]:
        """The session's turns in order (the last ``last`` of them if given)."""
        with self._backend.window(write=False) as c:
            got = c.turns.get(where={"session": session}, include=["documents", "metadatas"])
        turns = sorted(
            (
                Turn(
                    session,
                    int(m["turn"]),
                    str(m["role"]),
                    d,
                    float(m["time"]),
                    str(m.get("model", "")),
                )
                for _, d, m in _rows(got)
            ),
            key=lambda t: (t.n, t.role != "user"),
        )
        return turns[-last:] if last else turns

    # -- facts and documents ---------------------------------------------------
    def remember(self, text: str, *, session: str = "") -> Fact:
        """Store a fact for every session; remembering the same text twice stores it once."""
        text = text.strip()
        if not text:
            raise MemoryInputError("nothing to remember: the text is empty")
        fact = Fact(fact_id(text), text, time.time(), session)
        vectors = self.encoder.embed_passages([text])
        with self._backend.window(write=True) as c:
            c.facts.upsert(
                ids=[fact.id],
                embeddings=vectors,
                documents=[text],
                metadatas=[{"time": fact.time, "session": session}],
            )
        self._refresh_hints()
        return fact

    def facts(self) -> list[Fact]:
        with self._backend.window(write=False) as c:
            got = c.facts.get(include=["documents", "metadatas"])
        return sorted(
            (
                Fact(i, d, float(m.get("time", 0)), str(m.get("session", "")))
                for i, d, m in _rows(got)
            ),
            key=lambda f: f.time,
        )

    @property
    def documents(self) -> Documents:
        """Ingested documents: collections, files, hybrid search (memory/documents.py)."""
        return self._documents

    def ingest(self, path: Path, *, collection: str = DEFAULT_COLLECTION,
               progress: Callable[[int, int], None] | None = None) -> int:
        """Chunk a file into the documents collection; returns the number of chunks.

        Re-ingesting a changed file replaces its earlier chunks; an unchanged one is skipped.
        """
        return self.documents.ingest(path, collection=collection, progress=progress).chunks

    # -- search ----------------------------------------------------------------
    def query(
        self,
        query: str,
        *,
        kinds: Sequence[str] = ("turn", "fact", "doc"),
        k: int = 5,
        where: dict[str, dict[str, Any]] | None = None,
    ) -> list[SearchHit]:
        """Nearest items of each kind, merged by distance; ``where`` maps kind -> filter."""
        vector = self.encoder.embed_queries([query])
        hits: list[SearchHit] = []
        with self._backend.window(write=False) as c:
            for kind in kinds:
                res = c.by_kind(kind).query(
                    query_embeddings=vector,
                    n_results=k,
                    where=(where or {}).get(kind),
                    include=["documents", "metadatas", "distances"],
                )
                for i, d, m, dist in zip(
                    res["ids"][0],
                    res["documents"][0],
                    res["metadatas"][0],
                    res["distances"][0],
                    strict=True,
                ):
                    hits.append(SearchHit(i, kind, d or "", float(dist), dict(m or {})))
        return sorted(hits, key=lambda h: h.distance)

    def search(self, query: str, *, k: int = 5, session: str | None = None) -> list[SearchHit]:
        """Search turns (of ``session`` if given), facts and documents."""
        where = {"turn": {"session": session}} if session else None
        return self.query(query, k=k, where=where)[:k]

    # -- forgetting ------------------------------------------------------------
    def forget(self, item_id: str) -> None:
        """Delete one turn, fact or document chunk by id; unknown ids are an error."""
        kind = item_id.split(":", 1)[0]
        if kind == "session":
            self.forget_session(item_id.split(":", 1)[1])
            return
        if kind not in ("turn", "fact", "doc"):
            raise MemoryInputError(f"unknown memory id {item_id!r}")
        with self._backend.window(write=True) as c:
            col = c.by_kind(kind)
            if not col.get(ids=[item_id], include=[])["ids"]:
                raise MemoryInputError(f"unknown memory id {item_id!r}")
            col.delete(ids=[item_id])
        self._refresh_hints()

    def forget_session(self, session: str) -> int:
        """Delete a session and all its turns; returns how many turns went."""
        self.sync_journal()  # nothing of it may come back from the journal later
        if self.journal is not None:
            self.journal.forget(session)
        with self._backend.window(write=True) as c:
            ids = c.turns.get(where={"session": session}, include=[])["ids"]
            known = c.sessions.get(ids=[f"session:{session}"], include=[])["ids"]
            if not ids and not known:
                raise MemoryInputError(f"unknown session {session!r}")
            for start in range(0, len(ids), _BATCH):
                c.turns.delete(ids=ids[start : start + _BATCH])
            c.sessions.delete(ids=[f"session:{session}"])
        return len(ids)

    def clear(self) -> dict[str, int]:
        """Delete everything; returns how many records each collection lost."""
        removed: dict[str, int] = {}
        self.sync_journal()  # counted below, then gone
        if self.journal is not None:
            self.journal.forget()
        with self._backend.window(write=True) as c:
            for name, col in (
                ("turns", c.turns),
                ("facts", c.facts),
                ("documents", c.documents),
                ("sessions", c.sessions),
            ):
                ids = col.get(include=[])["ids"]
                for start in range(0, len(ids), _BATCH):
                    col.delete(ids=ids[start : start + _BATCH])
                removed[name] = len(ids)
        self._refresh_hints()
        return removed

    def counts(self) -> dict[str, int]:
        with self._backend.window(write=False) as c:
            return {
                "turns": c.turns.count(),
                "facts": c.facts.count(),
                "documents": c.documents.count(),
                "sessions": c.sessions.count(),
            }

    def get(self, item_id: str) -> SearchHit | None:
        """One stored item by id, or None."""
        kind = item_id.split(":", 1)[0]
        if kind not in ("turn", "fact", "doc"):
            return None
        with self._backend.window(write=False) as c:
            rows = _rows(c.by_kind(kind).get(ids=[item_id], include=["documents", "metadatas"]))
        return SearchHit(rows[0][0], kind, rows[0][1], 0.0, rows[0][2]) if rows else None


def _runs(entries: Sequence[Turn]) -> list[list[Turn]]:
    """Consecutive turns of one session, so each run is one embedding batch and upsert."""
    runs: list[list[Turn]] = []
    for entry in sorted(entries, key=lambda e: (e.session, e.n)):
        last = runs[-1][-1] if runs else None
        if last is not None and last.session == entry.session and last.n + 1 == entry.n:
            runs[-1].append(entry)
        else:
            runs.append([entry])
    return runs
