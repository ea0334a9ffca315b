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

The journal assigns turn numbers, inside the write transaction that stores them
(``BEGIN IMMEDIATE``, then ``MAX(n) + 1``, then a plain ``INSERT``): several
processes appending to one session at once (three ``lamp ask -s shared`` in three
terminals) each get their own contiguous numbers, and an existing turn is never
replaced. A caller never passes a number it read earlier; it gets the assigned
ones back. The file (and SQLite's ``-wal``/``-shm``, which SQLite creates with the
database's mode) is 0600 in a 0700 directory: it holds every prompt and answer.

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

from ._sqlite import open_private_wal
from .errors import MemoryStoreError
from .private_fs import make_private_dirs, tighten
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


def _connect(path: Path) -> sqlite3.Connection:
    """The journal in WAL mode with its tables; every commit reaches the disk."""
    return open_private_wal(path, _SCHEMA, synchronous="FULL")


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
                    make_private_dirs(self.path.parent)
                    tighten(self.path.parent)  # the store's directory, 0755 from older lamps
                    conn = _connect(self.path)
                except (OSError, sqlite3.Error) as exc:
                    raise MemoryStoreError(f"memory journal {self.path}: {exc}") from exc
                self._conn = conn
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise MemoryStoreError(f"memory journal {self.path}: {exc}") from exc

    def append(self, session: str, messages: Sequence[tuple[str, str]], *,
               model: str = "", at: float | None = None, at_least: int = 0) -> list[Turn]:
        """Record ``(role, text)`` messages as the next turns of ``session``, durably, in one
        transaction, and return them with the numbers they got.

        The numbers are chosen inside the write transaction: one more than the session's
        last journaled turn (or ``at_least``, when that is higher: the count of turns the
        Chroma store already holds for the session, e.g. written before the journal
        existed), so concurrent writers never collide and one exchange's messages stay
        contiguous and in order. A turn that exists is never replaced."""
        now = time.time() if at is None else at
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # takes the write lock before reading MAX(n)
            try:
                row = db.execute("SELECT MAX(n) FROM turns WHERE session = ?",
                                 (session,)).fetchone()
                first = max(at_least, 0 if row[0] is None else int(row[0]) + 1)
                entries = [Turn(session, first + i, role, text, now, model)
                           for i, (role, text) in enumerate(messages)]
                db.executemany(
                    "INSERT INTO turns (session, n, role, text, time, model, indexed)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0)",
                    [(e.session, e.n, e.role, e.text, e.time, e.model) for e in entries])
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return entries

    def turns(self, session: str) -> list[Turn]:
        """Every journaled turn of ``session`` (indexed or not), in turn order."""
        with self._db() as db:
            rows = db.execute(
                "SELECT session, n, role, text, time, model FROM turns WHERE session = ? "
                "ORDER BY n", (session,)).fetchall()
        return [Turn(*row) for row in rows]

    def pending(self, limit: int = 256) -> list[Turn]:
        """Entries not yet indexed, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT session, n, role, text, time, model FROM turns WHERE indexed = 0 "
                "ORDER BY time, session, n LIMIT ?", (limit,)).fetchall()
        return [Turn(*row) for row in rows]

    def mark_indexed(self, entries: Sequence[Turn]) -> None:
        """Mark entries as in Chroma, unless they changed since they were read (a session
        forgotten and written again reuses its numbers)."""
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
