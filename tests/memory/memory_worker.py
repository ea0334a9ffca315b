"""Subprocess side of the multi-process memory tests (run as a script, not collected).

write STORE PROC N GOFILE   wait for GOFILE, then append N turns to session pPROC
ackloop STORE               append turns forever, printing "ack ID" after each commit
remember STORE TEXT         remember one fact and exit
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lamp.memory import MemoryStore

TOPICS = ["tea", "rain", "trains", "chess", "bread", "jazz", "moss", "kites", "salt", "owls"]


def main(argv: list[str]) -> None:
    mode, store_path = argv[0], Path(argv[1])
    store = MemoryStore.open(store_path)
    if mode == "write":
        proc, n, go = int(argv[2]), int(argv[3]), Path(argv[4])
        print("ready", flush=True)
        while not go.exists():
            time.sleep(0.01)
        for j in range(n):
            text = f"process {proc} note {j}: a remark about {TOPICS[(proc + j) % len(TOPICS)]}"
            store.append_turns(f"p{proc}", [("user", text)], start=j)
        print("done", flush=True)
    elif mode == "ackloop":
        j = 0
        while True:
            turns = store.append_turns("crash", [("user", f"crash test message {j}")], start=j)
            print(f"ack {turns[0].id}", flush=True)
            j += 1
    elif mode == "remember":
        print(store.remember(argv[2]).id, flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1:])
