"""Persistent prompt-prefix cache: the KV state after a fixed prompt prefix, kept on disk.

Every one-shot `lamp ask --tools` or `lamp pal` starts with the same long prefix
(system prompt, tool descriptions, few-shot examples). Re-reading it costs
seconds on a laptop CPU; loading its saved KV state costs milliseconds.

A cache file is keyed by everything that makes the state valid: the model
file's SHA-256, the exact prefix tokens, the context size and the llama.cpp
version. Its header repeats the key and a SHA-256 of the payload; a file whose
header or checksum does not match is deleted and recomputed, never loaded.
Writes go to a temp name and are renamed into place, so two processes writing
the same key cannot leave a torn file. Disk use is bounded: least recently
used files go first once the total passes the cap.

Two kinds of prefix share the directory. A *fixed* prefix (tools, PAL's examples,
``--each``'s instructions) is read by every call of its mode. An *input* prefix
ends where attached material ends (``ask -f FILE``, ``--docs`` sources), so the
next question about the same file loads it; such states are large (about 28 KB a
token for the 1.5B model, so ~75 MB for a 9 KB file) and often used only a few
times. So inputs (``input-*.kv``) may fill at most ``INPUT_SHARE`` of the cap and are
evicted among themselves first: a run of one-off files never pushes out the fixed
prefixes, which keep at least the rest. A state bigger than its share is not saved.

The KV state holds the prefix's text in a recoverable form, so the directory is
made 0700 (with any missing parent) and each file is created 0600 at open time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_MAX_BYTES", "INPUT_SHARE", "CacheEntry", "PrefixCache", "cache_key"]

MAGIC = b"LAMPKV1\n"
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024  # 1 GiB: ~13 inputs of 2.7k tokens (1.5B) + fixed
INPUT_SHARE = 0.75  # of the cap, at most, for input prefixes
_INPUT = "input-"


def cache_key(model_sha256: str, tokens: list[int], n_ctx: int, llama_version: str) -> str:
    digest = hashlib.sha256()
    digest.update(f"{model_sha256}|{n_ctx}|{llama_version}|".encode())
    digest.update(",".join(map(str, tokens)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    path: Path
    size: int
    last_used: float

    @property
    def is_input(self) -> bool:
        return self.path.name.startswith(_INPUT)


@dataclass
class PrefixCache:
    directory: Path
    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def input_max_bytes(self) -> int:
        """The most input prefixes may take together."""
        return int(self.max_bytes * INPUT_SHARE)

    def _path(self, key: str, kind: str) -> Path:
        return self.directory / f"{_INPUT if kind == 'input' else ''}{key}.kv"

    def load(self, key: str, header: dict[str, object], kind: str = "fixed") -> bytes | None:
        """The saved state for ``key``, or None (a bad file is removed, never returned).
        ``kind``: "fixed" or "input" (see the module's docstring)."""
        path = self._path(key, kind)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        state = self._verify(raw, key, header)
        if state is None:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # mark as recently used for LRU eviction
        return state

    @staticmethod
    def _verify(raw: bytes, key: str, header: dict[str, object]) -> bytes | None:
        if not raw.startswith(MAGIC):
            return None
        line_end = raw.find(b"\n", len(MAGIC))
        if line_end < 0:
            return None
        try:
            meta = json.loads(raw[len(MAGIC):line_end])
        except ValueError:
            return None
        payload = raw[line_end + 1:]
        if not isinstance(meta, dict) or meta.get("key") != key:
            return None
        if any(meta.get(k) != v for k, v in header.items()):
            return None
        if meta.get("size") != len(payload):
            return None
        if meta.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None
        return payload

    def save(self, key: str, header: dict[str, object], state: bytes,
             kind: str = "fixed") -> Path | None:
        """Keep ``state`` under ``key``; None when it is bigger than its kind may take."""
        if len(state) > (self.input_max_bytes if kind == "input" else self.max_bytes):
            return None
        _private_dirs(self.directory)
        meta = {**header, "key": key, "size": len(state),
                "sha256": hashlib.sha256(state).hexdigest(), "created": time.time()}
        target = self._path(key, kind)
        tmp = target.with_name(f".{target.name}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
        try:
            with open(tmp, "wb", opener=_private_file) as fh:
                fh.write(MAGIC + json.dumps(meta).encode() + b"\n")
                fh.write(state)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.evict()
        return target

    def entries(self) -> list[CacheEntry]:
        if not self.directory.is_dir():
            return []
        out = []
        for path in self.directory.glob("*.kv"):
            with contextlib.suppress(OSError):
                st = path.stat()
                out.append(CacheEntry(path, st.st_size, st.st_mtime))
        return sorted(out, key=lambda e: e.last_used)

    def evict(self) -> int:
        """Drop least recently used input files until they fit their share, then least
        recently used files of either kind until the total fits the cap; return how many."""
        entries = self.entries()
        removed = _drop_oldest([e for e in entries if e.is_input], self.input_max_bytes)
        kept = [e for e in entries if e not in removed]
        removed += _drop_oldest(kept, self.max_bytes)
        return len(removed)

    def clear(self) -> int:
        entries = self.entries()
        for entry in entries:
            with contextlib.suppress(OSError):
                entry.path.unlink()
        return len(entries)


def _drop_oldest(entries: list[CacheEntry], cap: int) -> list[CacheEntry]:
    """Remove the oldest of ``entries`` (oldest first) until the rest fit ``cap``."""
    total, removed = sum(e.size for e in entries), []
    for entry in entries:
        if total <= cap:
            break
        with contextlib.suppress(OSError):
            entry.path.unlink()
            total -= entry.size
            removed.append(entry)
    return removed


def _private_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents 0700 (``mkdir(parents=True)`` would give
    the parents the default mode); an existing cache directory is tightened."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)
    with contextlib.suppress(OSError):
        st = os.lstat(directory)
        if st.st_mode & 0o077 and st.st_uid == os.geteuid() and not os.path.islink(directory):
            os.chmod(directory, 0o700)


def _private_file(path: str, flags: int) -> int:
    """``open()`` opener: the file is created 0600, never 0666 & ~umask."""
    return os.open(path, flags | os.O_CLOEXEC, 0o600)
