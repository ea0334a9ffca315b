"""Subprocess side of the journal's kill -9 tests (run as a script, not collected).

ackloop STORE            journal exchanges forever, printing "ack N" after each commit
index-then-die STORE     index the journal's pending turns into Chroma, then SIGKILL
                         itself before marking them indexed
die-in-transaction STORE begin a journal write and SIGKILL itself before it commits
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from lamp.memory.journal import JOURNAL_NAME, Journal


def main(argv: list[str]) -> None:
    mode, store_path = argv[0], Path(argv[1])
    journal = Journal(store_path / JOURNAL_NAME)
    if mode == "ackloop":
        n = 0
        while True:
            journal.append("crash", [("user", f"question {n}"), ("assistant", f"answer {n}")],
                           start=2 * n)
            print(f"ack {n}", flush=True)
            n += 1
    elif mode == "index-then-die":
        from lamp.memory import MemoryStore

        store = MemoryStore(store_path)
        pending = journal.pending()
        store.append_turns(pending[0].session, [(e.role, e.text) for e in pending],
                           start=pending[0].n)
        print(f"indexed {len(pending)}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "die-in-transaction":
        with journal._db() as db:  # the step inside append, stopped half way
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO turns (session, n, role, text, time) "
                       "VALUES ('torn', 0, 'user', 'never committed', 0)")
            print("inside", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(sys.argv[1:])
