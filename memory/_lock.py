"""Cross-process serialization for an embedded Chroma store.

Chroma's embedded mode is not safe for several writer processes: each process
keeps its own in-memory HNSW index and flushes it over the others' (measured:
2 processes x 1,500 adds lost 5 vectors).  lamp therefore takes an exclusive
``fcntl.flock`` on ``lamp.lock`` inside the store directory around every
operation, including opening and closing the client, and keeps the windows short
(one upsert, one query) so that a ``lamp chat`` left open never blocks a
``lamp ask`` in another terminal: no lock is ever held across a model generation.

A *generation token* (``lamp.gen``, a random string rewritten after each write)
tells a process whether anyone wrote since it last looked.  If not, its open
client is current and can be reused (a recall costs one query); if so, it must
reopen the client, because its in-memory index does not contain the new vectors.
The kernel drops a flock when its holder dies, so ``kill -9`` never leaves the
store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from .errors import MemoryStoreError
from .private_fs import private_opener

__all__ = ["LOCK_NAME", "StoreLock"]

LOCK_NAME = "lamp.lock"
GEN_NAME = "lamp.gen"


class StoreLock:
    """Exclusive inter-process (flock) and intra-process (RLock) lock for one store."""

    def __init__(self, directory: Path, timeout: float = 60.0) -> None:
        self._lock_path = directory / LOCK_NAME
        self._gen_path = directory / GEN_NAME
        self._timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the duration of the block (re-entrant within a process)."""
        with self._thread_lock:
            if self._depth == 0:
                self._fd = self._acquire()
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None

    def _acquire(self) -> int:
        try:
            fd = private_opener(str(self._lock_path), os.O_RDWR | os.O_CREAT)  # 0600
        except OSError as exc:
            raise MemoryStoreError(f"cannot create lock file {self._lock_path}: {exc}") from exc
        deadline = time.monotonic() + self._timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise MemoryStoreError(
                        f"memory store is busy: {self._lock_path} held for over "
                        f"{self._timeout:.0f} s by another process"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.02)

    def generation(self) -> str:
        """The current generation token ("" before the first write)."""
        try:
            return self._gen_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return ""

    def bump(self) -> str:
        """Record that the store changed; call only while holding the lock."""
        token = uuid.uuid4().hex
        tmp = self._gen_path.with_suffix(".tmp")
        with open(tmp, "w", encoding="ascii", opener=private_opener) as fh:
            fh.write(token)
        os.replace(tmp, self._gen_path)
        return token
