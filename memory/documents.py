"""Ingested documents: named collections, file bookkeeping, and hybrid retrieval.

All chunks live in the store's one documents collection in Chroma; each carries
its ``collection`` name, ``source`` (the resolved file path), ``chunk`` number,
``offset`` (character where it starts in the file's text) and the ``sha`` of the
file's text. The hash makes re-ingesting cheap and safe: an unchanged file is
skipped, a changed one has its old chunks replaced in the same locked window that
writes the new ones (embeddings are computed before the window opens).

Retrieval is hybrid. The e5 vectors Chroma already holds rank the chunks by
meaning; BM25 ranks the same chunks by shared words, which catches names, numbers
and rare terms an embedding blurs. The two rankings are fused by reciprocal rank
(``1 / (60 + rank)`` summed over the lists), which needs no score calibration. The
BM25 index is built from the collection's chunks on each search. Measured on 2
shared cores (docs/retrieval.md): about 65 ms for 150 chunks, 0.4 s for 1,000 and
1.9 s for 5,000; below about a thousand chunks that is less than a model's prompt
processing, so there is no cache yet. A collection of many thousands of chunks
would want the index saved on disk, keyed by the collection's content hashes.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._chunking import chunk_spans
from .errors import MemoryInputError
from .extract import read_document

__all__ = [
    "DEFAULT_COLLECTION",
    "DocFile",
    "DocHit",
    "Documents",
    "IngestResult",
    "bm25_rank",
    "check_collection_name",
    "fuse_rankings",
    "tokenize",
]

DEFAULT_COLLECTION = "default"
RRF_K = 60  # the usual constant of reciprocal rank fusion: damps the top ranks' weight
SEARCH_MODES = ("hybrid", "vector", "bm25")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_WORD = re.compile(r"\w+", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_WRITE_BATCH = 256


def check_collection_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise MemoryInputError(
            f"bad collection name {name!r}: 1-64 letters, digits, '.', '_' or '-'")
    return name


@dataclass(frozen=True)
class IngestResult:
    """What ingesting one file did: ``status`` is added, replaced or unchanged."""

    path: str
    collection: str
    chunks: int
    status: str


@dataclass(frozen=True)
class DocFile:
    collection: str
    source: str
    chunks: int
    sha: str
    time: float


@dataclass(frozen=True)
class DocHit:
    """One retrieved chunk. ``score`` is the fused score (higher is better); the ranks
    (1-based, None when that retriever did not return it) show where it came from."""

    id: str
    collection: str
    source: str
    chunk: int
    offset: int
    text: str
    score: float
    vector_rank: int | None = None
    bm25_rank: int | None = None


def _stopwords() -> frozenset[str]:
    if not _STOP:
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        _STOP.append(frozenset(STOPWORDS_EN_PLUS))
    return _STOP[0]


_STOP: list[frozenset[str]] = []


def tokenize(text: str) -> list[str]:
    """Words for BM25: casefolded ``\\w+`` runs less English stopwords, plus character
    bigrams of Hangul words, since Korean glues particles to nouns (``메모리는`` must
    still match ``메모리``)."""
    stop = _stopwords()
    tokens: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word in stop:
            continue
        tokens.append(word)
        if _HANGUL.search(word) and len(word) > 2:
            tokens.extend(word[i:i + 2] for i in range(len(word) - 1))
    return tokens


def bm25_rank(query: str, texts: Sequence[str], k: int) -> list[tuple[int, float]]:
    """Indexes of the ``k`` best texts for ``query`` by BM25 (score > 0 only), best first."""
    import bm25s
    import numpy as np

    corpus = [tokenize(t) or ["\x00"] for t in texts]
    words = [w for w in dict.fromkeys(tokenize(query))]
    if not texts or not words:
        return []
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    known = [w for w in words if w in index.vocab_dict]
    if not known:
        return []
    scores = np.asarray(index.get_scores(known))
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


def fuse_rankings(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of several best-first id lists."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def _where(collection: str | None, source: str | None = None) -> dict[str, Any] | None:
    parts = []
    if collection is not None:
        parts.append({"collection": collection})
    if source is not None:
        parts.append({"source": source})
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _doc_id(collection: str, source: str, n: int) -> str:
    key = hashlib.sha256(f"{collection}\0{source}".encode()).hexdigest()[:16]
    return f"doc:{key}:{n}"


class Documents:
    """The documents part of a ``MemoryStore`` (``store.documents``)."""

    def __init__(self, backend: Any, encoder: Any) -> None:
        self._backend = backend
        self._encoder = encoder

    # -- ingesting ---------------------------------------------------------------
    def ingest(self, path: Path, *, collection: str = DEFAULT_COLLECTION,
               progress: Callable[[int, int], None] | None = None) -> IngestResult:
        """Chunk and index one file; skip it when its text is unchanged since last time."""
        check_collection_name(collection)
        text = read_document(Path(path))
        source = str(Path(path).resolve())
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        where = _where(collection, source)
        with self._backend.window(write=False) as c:
            old = c.documents.get(where=where, include=["metadatas"])
        old_ids = list(old["ids"])
        old_shas = {str((m or {}).get("sha", "")) for m in (old.get("metadatas") or [])}
        spans = chunk_spans(text)
        if old_ids and old_shas == {sha} and len(old_ids) == len(spans):
            if progress is not None:
                progress(len(spans), len(spans))
            return IngestResult(str(path), collection, len(spans), "unchanged")
        vectors: list[Any] = []
        for start in range(0, len(spans), 16):  # embed outside any lock, with progress
            vectors.extend(self._encoder.embed_passages([t for _, t in spans[start:start + 16]]))
            if progress is not None:
                progress(min(start + 16, len(spans)), len(spans))
        now = time.time()
        with self._backend.window(write=True) as c:
            if old_ids:
                c.documents.delete(ids=old_ids)
            for start in range(0, len(spans), _WRITE_BATCH):
                batch = spans[start:start + _WRITE_BATCH]
                c.documents.upsert(
                    ids=[_doc_id(collection, source, start + i) for i in range(len(batch))],
                    embeddings=vectors[start:start + len(batch)],
                    documents=[t for _, t in batch],
                    metadatas=[{"collection": collection, "source": source, "chunk": start + i,
                                "offset": off, "sha": sha, "time": now}
                               for i, (off, _) in enumerate(batch)],
                )
        return IngestResult(str(path), collection, len(spans),
                            "replaced" if old_ids else "added")

    # -- listing and forgetting --------------------------------------------------
    def files(self, collection: str | None = None) -> list[DocFile]:
        """Every ingested file (of ``collection`` if given), by collection then path."""
        with self._backend.window(write=False) as c:
            got = c.documents.get(where=_where(collection), include=["metadatas"])
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for meta in got.get("metadatas") or []:
            meta = dict(meta or {})
            key = (str(meta.get("collection", DEFAULT_COLLECTION)), str(meta.get("source", "")))
            entry = seen.setdefault(key, {"chunks": 0, "sha": str(meta.get("sha", "")),
                                          "time": float(meta.get("time", 0.0))})
            entry["chunks"] += 1
        return [DocFile(col, src, e["chunks"], e["sha"], e["time"])
                for (col, src), e in sorted(seen.items())]

    def collections(self) -> dict[str, tuple[int, int]]:
        """Collection name -> (files, chunks)."""
        out: dict[str, tuple[int, int]] = {}
        for f in self.files():
            files, chunks = out.get(f.collection, (0, 0))
            out[f.collection] = (files + 1, chunks + f.chunks)
        return out

    def forget_file(self, path: Path | str, collection: str | None = None) -> int:
        """Delete one file's chunks (from every collection unless one is named)."""
        source = str(Path(path).expanduser().resolve())
        with self._backend.window(write=True) as c:
            ids = c.documents.get(where=_where(collection, source), include=[])["ids"]
            if not ids:
                where = f" in collection {collection!r}" if collection else ""
                raise MemoryInputError(f"no ingested file {source}{where}")
            c.documents.delete(ids=ids)
        return len(ids)

    def forget_collection(self, collection: str) -> int:
        """Delete a whole collection's chunks; returns how many."""
        with self._backend.window(write=True) as c:
            ids = c.documents.get(where=_where(collection), include=[])["ids"]
            if not ids:
                raise MemoryInputError(f"unknown document collection {collection!r}")
            for start in range(0, len(ids), 500):
                c.documents.delete(ids=ids[start:start + 500])
        return len(ids)

    # -- retrieval ---------------------------------------------------------------
    def search(self, query: str, *, collection: str | None = None, k: int = 4,
               mode: str = "hybrid", pool: int = 20) -> list[DocHit]:
        """The ``k`` best chunks for ``query``: ``mode`` is hybrid (vector + BM25 fused by
        reciprocal rank), vector or bm25; each retriever contributes its best ``pool``."""
        if mode not in SEARCH_MODES:
            raise MemoryInputError(
                f"unknown search mode {mode!r}: one of {', '.join(SEARCH_MODES)}")
        where = _where(collection)
        vector = self._encoder.embed_queries([query]) if mode != "bm25" else None
        with self._backend.window(write=False) as c:
            got = c.documents.get(where=where, include=["documents", "metadatas"])
            ids: list[str] = list(got["ids"])
            vector_ids: list[str] = []
            if vector is not None and ids:
                res = c.documents.query(query_embeddings=vector, n_results=min(pool, len(ids)),
                                        where=where, include=[])
                vector_ids = list(res["ids"][0])
        if not ids:
            return []
        texts = [d or "" for d in (got.get("documents") or [""] * len(ids))]
        metas = [dict(m or {}) for m in (got.get("metadatas") or [{}] * len(ids))]
        bm25_ids = ([ids[i] for i, _ in bm25_rank(query, texts, pool)]
                    if mode != "vector" else [])
        fused = fuse_rankings([r for r in (vector_ids, bm25_ids) if r])
        v_rank = {i: n for n, i in enumerate(vector_ids, start=1)}
        b_rank = {i: n for n, i in enumerate(bm25_ids, start=1)}
        row = {i: n for n, i in enumerate(ids)}
        best = sorted(fused, key=lambda i: (-fused[i], v_rank.get(i, pool + 1)))[:k]
        hits = []
        for item in best:
            meta, text = metas[row[item]], texts[row[item]]
            hits.append(DocHit(
                id=item, collection=str(meta.get("collection", DEFAULT_COLLECTION)),
                source=str(meta.get("source", "")), chunk=int(meta.get("chunk", 0)),
                offset=int(meta.get("offset", 0)), text=text, score=round(fused[item], 6),
                vector_rank=v_rank.get(item), bm25_rank=b_rank.get(item)))
        return hits
