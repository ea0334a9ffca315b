"""Subprocess side of the journal's kill -9 tests (run as a script, not collected).

ackloop STORE            journal exchanges forever, printing "ack FIRST QUESTION" after
                         each commit (FIRST: the number the journal gave the question)
hammer STORE P N GOFILE  print "ready", wait for GOFILE, then journal N exchanges of
                         process P into the session "shared"; print "done"
index-then-die STORE     index the journal's pending turns into Chroma, then SIGKILL
                         itself before marking them indexed
die-in-transaction STORE begin a journal write and SIGKILL itself before it commits
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from lamp.memory.journal import JOURNAL_NAME, Journal


def main(argv: list[str]) -> None:
    mode, store_path = argv[0], Path(argv[1])
    journal = Journal(store_path / JOURNAL_NAME)
    if mode == "ackloop":
        n, tag = 0, os.getpid()
        while True:
            turns = journal.append("crash", [("user", f"question {tag}-{n}"),
                                             ("assistant", f"answer {tag}-{n}")])
            print(f"ack {turns[0].n} question {tag}-{n}", flush=True)
            n += 1
    elif mode == "hammer":
        proc, count, go = int(argv[2]), int(argv[3]), Path(argv[4])
        print("ready", flush=True)
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.001)
        for i in range(count):
            journal.append("shared", [("user", f"p{proc} q{i}"), ("assistant", f"p{proc} a{i}")],
                           model=f"p{proc}")
        print("done", flush=True)
    elif mode == "index-then-die":
        from lamp.memory import MemoryStore

        store = MemoryStore(store_path)
        pending = journal.pending()
        store.append_turns(pending[0].session, [(e.role, e.text) for e in pending],
                           start=pending[0].n)  # indexing: the journal's own numbers
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
