"""Memory costs: ``import chromadb``, one-shot open, and recall latency at 1k/10k turns.

Recall latency = embed the question + query turns and facts (``lamp.memory.recall``),
measured two ways:

* warm: the process's client is current (nobody wrote since), the common case
  inside a ``lamp chat``;
* after a foreign write: another process wrote, so the client must be reopened
  inside the lock first (the cost a second terminal imposes).

Filling 10k turns through the e5 encoder would take minutes on 2 cores, so the
store is filled with 1,000 real e5 turn embeddings, tiled to N with small noise
(re-normalised); the query path and index sizes are real, only the vectors repeat.

    python benchmarks/memory_recall.py [--sizes 1000 10000] [--queries 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = [
    "tea",
    "rain",
    "train",
    "chess",
    "bread",
    "jazz",
    "moss",
    "kite",
    "salt",
    "owl",
    "boat",
    "lamp",
    "roof",
    "fig",
    "map",
    "ink",
]
QUESTIONS = [
    "What is my cat called?",
    "When is the dentist appointment?",
    "Which train do I take to work?",
    "우리 고양이 이름이 뭐였지?",
    "What did we say about the roof repair?",
    "내일 회의는 몇 시야?",
]


def _median_subprocess(code: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def import_cost() -> dict[str, float]:
    timer = "import time; t = time.perf_counter(); {}; print(time.perf_counter() - t)"
    return {
        "import_chromadb_s": _median_subprocess(timer.format("import chromadb")),
        "import_lamp_memory_s": _median_subprocess(timer.format("import lamp.memory")),
    }


def _fill(store: object, n: int, base: np.ndarray, texts: list[str]) -> None:
    rng = np.random.default_rng(0)
    for start in range(0, n, 1000):
        idx = np.arange(start, min(n, start + 1000))
        vecs = base[idx % len(base)] + rng.normal(0, 0.01, (len(idx), base.shape[1]))
        vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
        with store._backend.window(write=True) as c:  # type: ignore[attr-defined]
            c.turns.upsert(
                ids=[f"turn:bench:{i}:user" for i in idx],
                embeddings=vecs,
                documents=[texts[i % len(texts)] for i in idx],
                metadatas=[
                    {"session": "bench", "turn": int(i), "role": "user", "time": 0.0, "model": ""}
                    for i in idx
                ],
            )


def recall_latency(sizes: list[int], queries: int) -> dict[str, dict[str, float]]:
    from lamp.memory import MemoryStore, recall

    rng = np.random.default_rng(1)
    texts = [
        f"note {i}: remember the {rng.choice(WORDS)} and the {rng.choice(WORDS)} by {i % 28 + 1}th"
        for i in range(1000)
    ]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for n in sizes:
            path = Path(tmp) / f"m{n}"
            store = MemoryStore.open(path)
            if base is None:
                base = store.encoder.embed_passages(texts)
            _fill(store, n, base, texts)
            for i in range(20):
                store.remember(f"fact {i}: the {WORDS[i % len(WORDS)]} is in drawer {i}")
            window = set(range(n - 12, n))
            recall(store, "warm-up", session="bench", exclude_turns=window)
            warm = []
            for q in range(queries):
                t = time.perf_counter()
                recall(store, QUESTIONS[q % len(QUESTIONS)], session="bench", exclude_turns=window)
                warm.append((time.perf_counter() - t) * 1000)
            cold = []
            for q in range(max(5, queries // 3)):
                store._backend._lock.bump()  # type: ignore[attr-defined]  # as if another process wrote
                t = time.perf_counter()
                recall(store, QUESTIONS[q % len(QUESTIONS)], session="bench", exclude_turns=window)
                cold.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            for q in range(queries):
                store.encoder.embed_queries([QUESTIONS[q % len(QUESTIONS)]])
            embed_ms = (time.perf_counter() - t) * 1000 / queries
            store.close()
            results[str(n)] = {
                "warm_p50_ms": round(statistics.median(warm), 1),
                "warm_p95_ms": round(sorted(warm)[int(0.95 * (len(warm) - 1))], 1),
                "after_foreign_write_p50_ms": round(statistics.median(cold), 1),
                "embed_query_ms": round(embed_ms, 1),
            }
    return results


def _wall(code: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return round(statistics.median(times), 3)


def one_shot_cost() -> dict[str, float]:
    """Wall time of a fresh process that opens the store, recalls, appends a turn pair
    and closes (what memory adds to a one-shot `lamp ask`), next to an empty one."""
    with tempfile.TemporaryDirectory() as tmp:
        code = (
            "from lamp.memory import MemoryStore, recall\n"
            f"s = MemoryStore.open({str(Path(tmp) / 'm')!r})\n"
            "recall(s, 'What is my cat called?', session='one')\n"
            "s.append_turns('one', [('user', 'q'), ('assistant', 'a')])\n"
            "s.close()"
        )
        return {
            "one_shot_with_memory_wall_s": _wall(code),
            "empty_interpreter_wall_s": _wall("pass"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {
        **import_cost(),
        **one_shot_cost(),
        "recall": recall_latency(args.sizes, args.queries),
    }
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
