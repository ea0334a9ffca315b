"""Many processes, crashes and a real Chroma server: nothing acknowledged is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lamp.memory import MemoryStore, recall
from lamp.memory._backend import TURNS

WORKER = Path(__file__).with_name("memory_worker.py")
pytestmark = pytest.mark.integration


def _raw_turns(store_path: Path) -> dict:
    """Everything in the turns collection, read with a plain chromadb client."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(
        str(store_path), settings=Settings(anonymized_telemetry=False)
    )
    try:
        col = client.get_collection(TURNS)
        return col.get(include=["embeddings", "documents", "metadatas"])
    finally:
        client.close()


def test_four_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path, go, n_procs, n_writes = tmp_path / "memory", tmp_path / "go", 4, 100
    MemoryStore.open(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "write", str(path), str(p), str(n_writes), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for p in range(n_procs)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        for proc in procs:
            assert proc.wait(timeout=300) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    expected = {f"turn:p{p}:{j}:user" for p in range(n_procs) for j in range(n_writes)}
    with MemoryStore.open(path) as store:
        sessions = {s.name: s.turns for s in store.sessions()}
        assert sessions == {f"p{p}": n_writes for p in range(n_procs)}
        for p in range(n_procs):  # every process's writes answer a query
            hit = store.search(f"process {p} note 42", k=1, session=f"p{p}")[0]
            assert hit.metadata["session"] == f"p{p}"
    raw = _raw_turns(path)  # get(include=["embeddings"]) must succeed
    assert set(raw["ids"]) == expected
    vectors = np.asarray(raw["embeddings"], dtype=np.float32)
    assert vectors.shape == (len(expected), 384)
    # Every vector is in the index: querying with it finds itself first.
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(str(path), settings=Settings(anonymized_telemetry=False))
    try:
        found = client.get_collection(TURNS).query(query_embeddings=vectors, n_results=1)
    finally:
        client.close()
    assert [ids[0] for ids in found["ids"]] == raw["ids"]


def test_kill_9_during_writes_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "memory"
    acked: list[str] = []
    for round_, stop_after in enumerate((7, 13, 4)):
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), "ackloop", str(path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        seen = 0
        try:
            for line in proc.stdout:
                assert line.startswith("ack ")
                acked.append(line.split()[1])
                seen += 1
                if seen >= stop_after:
                    break
            time.sleep(0.003 * round_)  # land the kill at different points of the next write
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    with MemoryStore.open(path) as store:
        ids = {t.id for t in store.history("crash")}
        assert set(acked) <= ids
        hits = store.search("crash test message 3", k=3, session="crash")
        assert hits and hits[0].kind == "turn"
    raw = _raw_turns(path)
    assert set(acked) <= set(raw["ids"]) and len(raw["embeddings"]) == len(raw["ids"])


def test_chroma_server_mode_writes_and_recalls(chroma_server: str) -> None:
    url = chroma_server
    with MemoryStore.open(url=url) as store:
        assert store.location == url
        store.append_turns(
            "srv", [("user", "My cat is called Tobias."), ("assistant", "Nice.")]
        )
        store.append_turns("srv", [("user", "Tell me a joke."), ("assistant", "No.")])
        store.remember("I work at the harbour office.")
        items = recall(store, "what's my cat's name?", session="srv", exclude_turns={2, 3}, k=2)
        assert items[0].text == "My cat is called Tobias."
        assert store.session(continue_last=True).name == "srv"
    with MemoryStore.open(url=url) as again:  # a second client sees the same data
        assert again.counts() == {"turns": 4, "facts": 1, "documents": 0, "sessions": 1}
