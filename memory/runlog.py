"""The run log: one SQLite file recording what every lamp command ran, for `lamp logs`.

A person asks "what did lamp run yesterday, with which model, and who approved
that shell command?"; a script asks the same of ``--json``. The answer must not
depend on lamp's memory (``--no-memory`` runs are logged too) nor on Chroma, so
the log is its own small file in lamp's data directory, beside the memory
journal: ``runs`` (one row per run: request, answer, model, sampling, usage,
timings, exit status) and ``events`` (what a run did on the machine: tool calls
with who approved them, PAL programs, shell commands with their exit status).
Text is capped (``REQUEST_CAP`` and friends): the log is a record, not an
archive of every file a tool read.

Several lamp processes write at once (three terminals, a warm `lamp serve`):
WAL mode, a busy timeout, and each command's runs in one ``BEGIN IMMEDIATE``
transaction. The file is created 0600 before SQLite opens it (SQLite gives its
``-wal``/``-shm`` the database's mode) in lamp's 0700 data directory.

Search is FTS5 with the trigram tokenizer (substrings in any script: Korean
has no spaces between a noun and its particle). Terms shorter than three
characters, and SQLite builds without FTS5, fall back to ``LIKE``
(``RunLog.search_kind`` says which is in use). This module never imports the agent:
plain dataclasses in, the same dataclasses out.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ._sqlite import open_private_wal
from .errors import MemoryStoreError

__all__ = ["ANSWER_CAP", "APPROVALS", "EVENT_KINDS", "LOG_NAME", "REQUEST_CAP", "RESULT_CAP",
           "LogEvent", "LogFilter", "LogRun", "RunLog", "cap"]

LOG_NAME = "lamp-runs.sqlite3"
REQUEST_CAP = 8_000  # characters of a prompt kept (piped material can be megabytes)
ANSWER_CAP = 16_000
RESULT_CAP = 4_000  # a tool's result, a program's output (the model saw no more either)
EVENT_KINDS = ("tool_call", "pal_program", "shell_command")
APPROVALS = ("user-approved", "user-refused", "policy", "approve-all", "not-needed")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    invocation TEXT NOT NULL DEFAULT '',
    command TEXT NOT NULL,
    mode TEXT NOT NULL,
    session TEXT,
    request TEXT NOT NULL DEFAULT '',
    answer TEXT NOT NULL DEFAULT '',
    model_file TEXT,
    model_sha256 TEXT,
    sampling TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    first_token_s REAL,
    tokens_per_s REAL,
    total_s REAL,
    exit_status INTEGER,
    error TEXT,
    cwd TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);
CREATE INDEX IF NOT EXISTS runs_session ON runs (session);
CREATE TABLE IF NOT EXISTS events (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN {EVENT_KINDS}),
    name TEXT NOT NULL,
    arguments TEXT,
    result TEXT,
    approval TEXT CHECK (approval IS NULL OR approval IN {APPROVALS}),
    value TEXT,
    exit_status INTEGER,
    seconds REAL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX IF NOT EXISTS events_name ON events (name);
"""
_FTS = "CREATE VIRTUAL TABLE IF NOT EXISTS runs_text USING fts5(text, tokenize='trigram')"
_RUN_COLUMNS = ("started_at", "invocation", "command", "mode", "session", "request", "answer",
                "model_file", "model_sha256", "sampling", "prompt_tokens", "completion_tokens",
                "first_token_s", "tokens_per_s", "total_s", "exit_status", "error", "cwd")
_EVENT_COLUMNS = ("kind", "name", "arguments", "result", "approval", "value", "exit_status",
                  "seconds")


def cap(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit:,} characters not logged]"


@dataclass(frozen=True)
class LogEvent:
    """Something a run did on the machine. ``approval``: who let it run (``APPROVALS``;
    None for a call that was not run: a repeat, a call lamp held back)."""

    kind: str  # one of EVENT_KINDS
    name: str  # the tool; "python" for a PAL program; the shell for a command
    arguments: dict[str, Any] | None = None
    result: str | None = None
    approval: str | None = None
    value: str | None = None  # a PAL program's value
    exit_status: int | None = None  # a program's or a shell command's
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _EVENT_COLUMNS}


@dataclass(frozen=True)
class LogRun:
    """One run as the log keeps it. ``started_at`` is UTC, ISO 8601; ``invocation`` is
    shared by the runs of one command line (every input of ``--each``, every chat turn).
    ``id`` is None until the run is written."""

    started_at: str
    command: str
    mode: str
    request: str = ""
    answer: str = ""
    invocation: str = ""
    session: str | None = None
    model_file: str | None = None
    model_sha256: str | None = None
    sampling: dict[str, Any] | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    first_token_s: float | None = None
    tokens_per_s: float | None = None
    total_s: float | None = None
    exit_status: int | None = None
    error: str | None = None
    cwd: str | None = None
    events: tuple[LogEvent, ...] = ()
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **{name: getattr(self, name) for name in _RUN_COLUMNS},
                "events": [e.to_dict() for e in self.events]}

    def _row(self) -> tuple[Any, ...]:
        capped = replace(self, request=cap(self.request, REQUEST_CAP) or "",
                         answer=cap(self.answer, ANSWER_CAP) or "")
        values = [getattr(capped, name) for name in _RUN_COLUMNS]
        values[_RUN_COLUMNS.index("sampling")] = _dumps(self.sampling)
        return tuple(values)


@dataclass(frozen=True)
class LogFilter:
    """Which runs ``RunLog.runs`` returns: all of them must hold. ``text`` is words that
    must all occur in the request, the answer or a tool's arguments or result."""

    text: str = ""
    session: str | None = None
    tool: str | None = None
    since: str | None = None  # UTC ISO 8601: runs started at or after
    limit: int = 20


class RunLog:
    """The log file at ``path``; the file is created on the first write (a read of a log
    that does not exist finds nothing). Safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._fts: bool = False
        self._lock = threading.Lock()

    @property
    def exists(self) -> bool:
        return self.path.exists()

    @property
    def search_kind(self) -> str:
        """``fts5`` or ``like`` (this SQLite has no FTS5 with trigrams)."""
        with self._db():
            return "fts5" if self._fts else "like"

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                try:
                    self._conn, self._fts = _connect(self.path)
                except (OSError, sqlite3.Error) as exc:
                    raise MemoryStoreError(f"run log {self.path}: {exc}") from exc
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise MemoryStoreError(f"run log {self.path}: {exc}") from exc

    def write(self, runs: Sequence[LogRun]) -> list[int]:
        """Add ``runs`` (and their events) in one transaction; their new ids."""
        if not runs:
            return []
        ids: list[int] = []
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                for run in runs:
                    ids.append(self._insert(db, run))
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return ids

    def _insert(self, db: sqlite3.Connection, run: LogRun) -> int:
        marks = ", ".join("?" for _ in _RUN_COLUMNS)
        cursor = db.execute(f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({marks})",
                            run._row())
        run_id = int(cursor.lastrowid or 0)
        rows = [(run_id, seq, e.kind, e.name, _dumps(e.arguments), cap(e.result, RESULT_CAP),
                 e.approval, cap(e.value, RESULT_CAP), e.exit_status, e.seconds)
                for seq, e in enumerate(run.events)]
        db.executemany("INSERT INTO events (run_id, seq, kind, name, arguments, result, "
                       "approval, value, exit_status, seconds) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        if self._fts:
            text = "\n".join(part for part in (
                cap(run.request, REQUEST_CAP), cap(run.answer, ANSWER_CAP),
                *(p for e in run.events for p in (_dumps(e.arguments),
                                                   cap(e.result, RESULT_CAP)))) if part)
            db.execute("INSERT INTO runs_text (rowid, text) VALUES (?, ?)", (run_id, text))
        return run_id

    def runs(self, which: LogFilter | None = None) -> list[LogRun]:
        """The newest runs that pass ``which``, newest first, with their events."""
        which = which or LogFilter()
        if not self.exists:
            return []
        where, params = self._where(which)
        sql = (f"SELECT id, {', '.join(_RUN_COLUMNS)} FROM runs"
               f"{' WHERE ' + ' AND '.join(where) if where else ''}"
               " ORDER BY started_at DESC, id DESC LIMIT ?")
        with self._db() as db:
            rows = db.execute(sql, (*params, max(which.limit, 0))).fetchall()
            return [self._run(db, row) for row in rows]

    def _where(self, which: LogFilter) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if which.session is not None:
            where.append("session = ?")
            params.append(which.session)
        if which.tool is not None:
            where.append("EXISTS (SELECT 1 FROM events e WHERE e.run_id = runs.id "
                         "AND e.kind = 'tool_call' AND e.name = ?)")
            params.append(which.tool)
        if which.since is not None:
            where.append("started_at >= ?")
            params.append(which.since)
        with self._db():
            fts = self._fts
        terms = which.text.split()
        long_terms = [t for t in terms if fts and len(t) >= 3]
        if long_terms:  # each term a quoted phrase: the user's text is never FTS syntax
            where.append("id IN (SELECT rowid FROM runs_text WHERE runs_text MATCH ?)")
            params.append(" ".join('"' + t.replace('"', '""') + '"' for t in long_terms))
        for term in terms:
            if term in long_terms:
                continue
            like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(request LIKE ? ESCAPE '\\' OR answer LIKE ? ESCAPE '\\' OR EXISTS "
                         "(SELECT 1 FROM events e WHERE e.run_id = runs.id AND "
                         "(e.arguments LIKE ? ESCAPE '\\' OR e.result LIKE ? ESCAPE '\\')))")
            params += [like] * 4
        return where, params

    def get(self, run_id: int) -> LogRun | None:
        if not self.exists:
            return None
        with self._db() as db:
            row = db.execute(f"SELECT id, {', '.join(_RUN_COLUMNS)} FROM runs WHERE id = ?",
                             (run_id,)).fetchone()
            return self._run(db, row) if row is not None else None

    def _run(self, db: sqlite3.Connection, row: Sequence[Any]) -> LogRun:
        values = dict(zip(_RUN_COLUMNS, row[1:], strict=True))
        values["sampling"] = _loads(values["sampling"])
        events = tuple(
            LogEvent(kind, name, _loads(arguments), result, approval, value, status, seconds)
            for kind, name, arguments, result, approval, value, status, seconds in db.execute(
                f"SELECT {', '.join(_EVENT_COLUMNS)} FROM events WHERE run_id = ? "
                "ORDER BY seq", (row[0],)))
        return LogRun(**values, events=events, id=int(row[0]))

    def prune(self, before: str) -> int:
        """Delete the runs started before ``before`` (UTC ISO 8601); how many."""
        if not self.exists:
            return 0
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                gone = [r for (r,) in db.execute("SELECT id FROM runs WHERE started_at < ?",
                                                 (before,))]
                for chunk in (gone[i:i + 500] for i in range(0, len(gone), 500)):
                    marks = ", ".join("?" for _ in chunk)
                    db.execute(f"DELETE FROM events WHERE run_id IN ({marks})", chunk)
                    if self._fts:
                        db.execute(f"DELETE FROM runs_text WHERE rowid IN ({marks})", chunk)
                    db.execute(f"DELETE FROM runs WHERE id IN ({marks})", chunk)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return len(gone)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _connect(path: Path) -> tuple[sqlite3.Connection, bool]:
    """The log in WAL mode with its tables (a crash may lose the last commit, never
    corrupt the file); whether full-text search is on."""
    conn = open_private_wal(path, _SCHEMA, synchronous="NORMAL")
    try:
        return conn, _has_fts(conn)
    except BaseException:
        conn.close()
        raise


def _has_fts(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute(_FTS)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise
        return False  # no FTS5, or no trigram tokenizer (SQLite < 3.34): LIKE it is
    return True


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
