"""The memory journal: every exchange is durable here first, and indexed into Chroma later.

Writing a turn into Chroma means importing chromadb, loading the embedding model
and embedding the text: about half a second that a one-shot ``lamp ask`` spent
after its answer, for a write nobody reads until a later process recalls it. The
journal is one SQLite file in WAL mode beside the store: an append is one small
transaction, committed with ``synchronous=FULL`` before the process exits, so an
exchange the journal acknowledged survives a crash or SIGKILL. Whoever opens the
Chroma store next (``MemoryStore.open``: recall, ``lamp memory`` commands,
``lamp serve``, chat) first indexes the journal's unindexed tail. Turn ids are
deterministic (session and turn number), so indexing the same entry twice, after
a crash between the Chroma write and the mark, overwrites instead of duplicating.

The journal also keeps ``hints``: small counts the store refreshes whenever it is
open (how many facts exist), so a new session can tell without opening Chroma
that there is nothing to recall.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import MemoryStoreError
from .records import Turn

__all__ = ["CHROMA_DB_NAME", "JOURNAL_NAME", "Journal"]

JOURNAL_NAME = "lamp-journal.sqlite3"
CHROMA_DB_NAME = "chroma.sqlite3"  # Chroma's own database, beside the journal

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session TEXT NOT NULL,
    n INTEGER NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    time REAL NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    indexed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session, n)
);
CREATE INDEX IF NOT EXISTS turns_pending ON turns (indexed) WHERE indexed = 0;
CREATE TABLE IF NOT EXISTS hints (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Journal:
    """One store's journal file; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                try:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None,
                                           check_same_thread=False)
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=FULL")
                    conn.executescript(_SCHEMA)
                except (OSError, sqlite3.Error) as exc:
                    raise MemoryStoreError(f"memory journal {self.path}: {exc}") from exc
                self._conn = conn
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise MemoryStoreError(f"memory journal {self.path}: {exc}") from exc

    def append(self, session: str, messages: Sequence[tuple[str, str]], *, start: int,
               model: str = "", at: float | None = None) -> list[Turn]:
        """Record ``(role, text)`` messages as turns ``start, start+1, ...`` of ``session``,
        durably, in one transaction. A retried append with the same ``start`` replaces
        what it wrote before."""
        now = time.time() if at is None else at
        entries = [Turn(session, start + i, role, text, now, model)
                   for i, (role, text) in enumerate(messages)]
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO turns (session, n, role, text, time, model, indexed)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0)",
                    [(e.session, e.n, e.role, e.text, e.time, e.model) for e in entries])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return entries

    def pending(self, limit: int = 256) -> list[Turn]:
        """Entries not yet indexed, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT session, n, role, text, time, model FROM turns WHERE indexed = 0 "
                "ORDER BY time, session, n LIMIT ?", (limit,)).fetchall()
        return [Turn(*row) for row in rows]

    def mark_indexed(self, entries: Sequence[Turn]) -> None:
        """Mark entries as in Chroma, unless they were rewritten since they were read."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("UPDATE turns SET indexed = 1 WHERE session = ? AND n = ? "
                           "AND text = ? AND role = ?",
                           [(e.session, e.n, e.text, e.role) for e in entries])
            db.execute("COMMIT")

    def forget(self, session: str | None = None) -> None:
        """Drop journal entries of ``session`` (all with None), so a forgotten session is
        not indexed again from here."""
        with self._db() as db:
            if session is None:
                db.execute("DELETE FROM turns")
            else:
                db.execute("DELETE FROM turns WHERE session = ?", (session,))

    def next_turn(self, session: str) -> int:
        with self._db() as db:
            row = db.execute("SELECT MAX(n) FROM turns WHERE session = ?", (session,)).fetchone()
        return 0 if row[0] is None else int(row[0]) + 1

    def hint(self, key: str) -> int | None:
        with self._db() as db:
            row = db.execute("SELECT value FROM hints WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def may_hold_facts(self) -> bool:
        """Whether the store beside this journal may hold remembered facts: its hint, and
        when no store has set one yet, whether a Chroma database exists at all."""
        known = self.hint("facts")
        if known is None:
            return (self.path.parent / CHROMA_DB_NAME).exists()
        return known > 0

    def set_hint(self, key: str, value: int) -> None:
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO hints (key, value) VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
