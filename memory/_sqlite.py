"""Opening one of lamp's SQLite files (the memory journal, the run log) in WAL mode.

Switching a new file to WAL takes a lock that SQLite's busy timeout does not
wait for: several processes opening a fresh file at once (three `lamp ask` on a
new install) would get "database is locked". So that step, with the schema, is
retried with a bounded backoff; any other error is raised at once.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

__all__ = ["OPEN_TIMEOUT", "open_wal"]

OPEN_TIMEOUT = 30.0


def open_wal(path: Path, schema: str, *, synchronous: str) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with ``schema`` applied, shared across threads
    (the caller locks), in autocommit mode (the caller writes its own transactions)."""
    conn = sqlite3.connect(path, timeout=OPEN_TIMEOUT, isolation_level=None,
                           check_same_thread=False)
    deadline = time.monotonic() + OPEN_TIMEOUT
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={synchronous}")
            conn.executescript(schema)
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
