"""Opening one of lamp's SQLite files (the memory journal, the run log) in WAL mode.

Switching a new file to WAL takes a lock that SQLite's busy timeout does not
wait for: several processes opening a fresh file at once (three `lamp ask` on a
new install) would get "database is locked". So that step, with the schema, is
retried with a bounded backoff; any other error is raised at once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from .private_fs import create_private, make_private_dirs, tighten

__all__ = ["OPEN_TIMEOUT", "open_private_wal", "open_wal"]

OPEN_TIMEOUT = 30.0
# Held while a file is created and connected to: a descriptor of the file closed by one
# thread beside another thread's SQLite connection drops that connection's locks
# (see create_private).
_CREATING = threading.Lock()


def open_private_wal(path: Path, schema: str, *, synchronous: str) -> sqlite3.Connection:
    """``open_wal`` on a file only its owner can read: its folders made 0700 where lamp
    creates them, the file created 0600 before SQLite opens it by name (SQLite gives its
    -wal and -shm files the database's mode), side files left 0644 by older lamps
    tightened."""
    make_private_dirs(path.parent)
    with _CREATING:
        create_private(path)
        for suffix in ("-wal", "-shm", "-journal"):
            tighten(path.with_name(path.name + suffix))
        return open_wal(path, schema, synchronous=synchronous)


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
