"""Ingested documents: named collections, file bookkeeping, and hybrid retrieval.

All chunks live in the store's one documents collection in Chroma; each carries
its ``collection`` name, ``source`` (the resolved file path), ``chunk`` number,
``offset`` (character where it starts in the file's text) and the ``sha`` of the
file's text. The hash makes re-ingesting cheap and safe: an unchanged file is
skipped, a changed one has its old chunks replaced in the same locked window that
writes the new ones (embeddings are computed before the window opens).

Retrieval is hybrid. The e5 vectors Chroma already holds rank the chunks by
meaning; BM25 ranks the same chunks by shared words, which catches names, numbers
and rare terms an embedding blurs. Each side's scores are scaled to 0..1 (cosine
similarity min-max over its candidates, BM25 by its best score, since 0 is its
floor) and added with equal weights: a convex combination, which kept more of
both retrievers' information than reciprocal rank fusion did on HotpotQA
(docs/retrieval.md; Bruch et al., 2023, found the same on larger sets).

Then one bridge hop: a question often names one thing and asks about another
that only the first chunk names ("the team he coaches" -> the team's own page).
The best chunk's words that are not in the question are a second BM25 query, and
chunks it finds gain up to half the best chunk's score, so a chunk that both
matches the question and continues from the best one moves up. The best chunk
stays first.

The BM25 index is built from the collection's chunks and kept until a chunk or a
file's text changes (chat and serve ask the same collection again and again);
building it is most of BM25's cost (docs/retrieval.md).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Sequence
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
    "combine_scores",
    "tokenize",
]

DEFAULT_COLLECTION = "default"
VECTOR_SHARE = 0.5  # weight of the vector side in the combination (BM25 gets the rest)
BRIDGE_SHARE = 0.5  # what the bridge hop adds at most, as a share of the best chunk's score
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
    """One retrieved chunk. ``score`` is the combined score (higher is better); the ranks
    (1-based, None when that retriever did not return it: vector, BM25, the bridge hop)
    show where it came from. A chunk ending in a colon (a lead-in such as "lamp
    therefore:") carries the next chunk of its file in ``text`` too, unless that one
    is a hit of its own."""

    id: str
    collection: str
    source: str
    chunk: int
    offset: int
    text: str
    score: float
    vector_rank: int | None = None
    bm25_rank: int | None = None
    bridge_rank: int | None = None
    chunks: int = 1  # consecutive chunks of the file in ``text``, from ``chunk`` on


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


class Bm25Index:
    """BM25 over a set of chunks: built once, asked by every search until they change."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self._index = bm25s.BM25()
        if texts:
            self._index.index([tokenize(t) or ["\x00"] for t in texts], show_progress=False)
        self._size = len(texts)

    def best(self, words: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Indexes of the ``k`` best chunks for ``words`` (score > 0 only), best first."""
        import numpy as np

        if not self._size:  # nothing was indexed: bm25s has no vocabulary to ask
            return []
        known = [w for w in dict.fromkeys(words) if w in self._index.vocab_dict]
        if not known:
            return []
        scores = np.asarray(self._index.get_scores(known))
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


def bm25_rank(query: str, texts: Sequence[str], k: int) -> list[tuple[int, float]]:
    """Indexes of the ``k`` best texts for ``query`` by BM25 (score > 0 only), best first."""
    return Bm25Index(texts).best(tokenize(query), k)


def _scaled(scores: dict[str, float], *, floor: float | None) -> dict[str, float]:
    """Scores mapped to 0..1: from ``floor`` (or the lowest score) to the best one."""
    if not scores:
        return {}
    top = max(scores.values())
    low = min(scores.values()) if floor is None else floor
    if top <= low:
        return dict.fromkeys(scores, 1.0)
    return {i: (v - low) / (top - low) for i, v in scores.items()}


def combine_scores(vector: dict[str, float], bm25: dict[str, float],
                   vector_share: float = VECTOR_SHARE) -> dict[str, float]:
    """Convex combination of cosine similarities (min-max scaled over the candidates) and
    BM25 scores (scaled by the best; 0 is BM25's floor). Missing from one side counts 0."""
    v = _scaled(vector, floor=None)
    b = _scaled(bm25, floor=0.0)
    return {i: vector_share * v.get(i, 0.0) + (1 - vector_share) * b.get(i, 0.0)
            for i in dict.fromkeys([*vector, *bm25])}


def _bridge_shares(index: Bm25Index, ids: Sequence[str], first_words: Sequence[str],
                   asked: set[str], *, among: dict[str, float], first: str) -> dict[str, float]:
    """The bridge hop: BM25 with the best chunk's words that the question did not use,
    over the question's own candidates (``among``) only, so a wrong best chunk cannot
    pull in chunks unrelated to the question. Shares in 0..1, the best link first."""
    novel = [w for w in first_words if w not in asked]
    found = {ids[i]: s for i, s in index.best(novel, len(ids))
             if ids[i] != first and ids[i] in among}
    return _scaled(found, floor=0.0)


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
        # The last BM25 index built, keyed by the chunk ids and file hashes it was built
        # from: chat and serve search the same collection again and again.
        self._bm25: tuple[str, Bm25Index] | None = None

    def _bm25_index(self, ids: Sequence[str], texts: Sequence[str],
                    metas: Sequence[dict[str, Any]]) -> Bm25Index:
        """The index over these chunks, rebuilt only when a chunk or a file's text changed."""
        key = hashlib.sha256("\0".join(
            f"{i}\1{m.get('sha', '')}" for i, m in zip(ids, metas, strict=True)).encode()
        ).hexdigest()
        if self._bm25 is None or self._bm25[0] != key:
            self._bm25 = (key, Bm25Index(texts))
        return self._bm25[1]

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
               mode: str = "hybrid", pool: int = 20, bridge: bool = True) -> list[DocHit]:
        """The ``k`` best chunks for ``query``: ``mode`` is hybrid (vector + BM25 combined,
        then one bridge hop unless ``bridge`` is false), vector or bm25; each retriever
        contributes its best ``pool``."""
        if mode not in SEARCH_MODES:
            raise MemoryInputError(
                f"unknown search mode {mode!r}: one of {', '.join(SEARCH_MODES)}")
        where = _where(collection)
        vector = self._encoder.embed_queries([query]) if mode != "bm25" else None
        with self._backend.window(write=False) as c:
            got = c.documents.get(where=where, include=["documents", "metadatas"])
            ids: list[str] = list(got["ids"])
            similarity: dict[str, float] = {}
            if vector is not None and ids:
                res = c.documents.query(query_embeddings=vector, n_results=min(pool, len(ids)),
                                        where=where, include=["distances"])
                similarity = {i: 1.0 - float(d)  # cosine space: distance = 1 - similarity
                              for i, d in zip(res["ids"][0], res["distances"][0], strict=True)}
        if not ids:
            return []
        texts = [d or "" for d in (got.get("documents") or [""] * len(ids))]
        metas = [dict(m or {}) for m in (got.get("metadatas") or [{}] * len(ids))]
        row = {i: n for n, i in enumerate(ids)}
        index = self._bm25_index(ids, texts, metas) if mode != "vector" else None
        words = tokenize(query)
        bm25 = ({ids[i]: s for i, s in index.best(words, pool)} if index is not None else {})
        scores = combine_scores(similarity, bm25)
        v_rank = {i: n for n, i in enumerate(similarity, start=1)}
        b_rank = {i: n for n, i in enumerate(bm25, start=1)}

        def ranked(among: Iterable[str]) -> list[str]:  # ties: the closer meaning first
            return sorted(among, key=lambda i: (-scores[i], v_rank.get(i, pool + 1)))

        order = ranked(scores)
        bridged: dict[str, float] = {}
        if mode == "hybrid" and bridge and index is not None and order:
            first = order[0]
            bridged = _bridge_shares(index, ids, tokenize(texts[row[first]]), set(words),
                                     among=scores, first=first)
            lift = BRIDGE_SHARE * scores[first]
            for i, share in bridged.items():
                scores[i] += lift * share
            order = [first, *ranked(i for i in scores if i != first)]
        r_rank = {i: n for n, i in enumerate(bridged, start=1)}
        chosen = order[:k]
        hits = []
        for item in chosen:
            meta = metas[row[item]]
            home = str(meta.get("collection", DEFAULT_COLLECTION))
            source, chunk = str(meta.get("source", "")), int(meta.get("chunk", 0))
            text, spans = texts[row[item]], 1
            if text.rstrip().endswith(":"):  # a lead-in the chunker cut from what it introduces
                following = _doc_id(home, source, chunk + 1)
                if following in row and following not in chosen:
                    text, spans = f"{text.rstrip()}\n\n{texts[row[following]]}", 2
            hits.append(DocHit(
                id=item, collection=home, source=source, chunk=chunk,
                offset=int(meta.get("offset", 0)), text=text, score=round(scores[item], 6),
                vector_rank=v_rank.get(item), bm25_rank=b_rank.get(item),
                bridge_rank=r_rank.get(item), chunks=spans))
        return hits
