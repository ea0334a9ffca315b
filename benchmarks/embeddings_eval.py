"""Recall@1 of lamp's embedding candidates on a small bilingual (English/Korean) set.

Each line of the data file holds a fact and a question that the fact answers,
worded differently.  For every question we rank all facts of a pool by cosine
similarity and count a hit when the question's own fact comes first.  Pools:
``en`` (English facts only), ``ko`` (Korean facts only) and ``mixed`` (all
facts: the realistic case, a user who writes in both languages).

Also prints embedding speed (sentences/s, one batch of the facts) and the
cosine distance of right and best-wrong answers, which sets recall's cut-off.

    python benchmarks/embeddings_eval.py [--data PATH] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from lamp.memory._encoders import E5Encoder, MiniLMEncoder

DATA = Path(__file__).parent / "data" / "bilingual_recall.jsonl"


def _recall_at_1(q: np.ndarray, p: np.ndarray, rows: list[int], gold: list[int]) -> float:
    sims = q @ p[rows].T
    best = [rows[i] for i in sims.argmax(axis=1)]
    return sum(b == g for b, g in zip(best, gold, strict=True)) / len(gold)


def evaluate(encoder: object, items: list[dict], *, prefixes: bool = True) -> dict:
    facts = [it["fact"] for it in items]
    questions = [it["question"] for it in items]
    encoder.embed_passages(facts[:2])  # warm-up
    start = time.perf_counter()
    p = encoder.embed_passages(facts)
    speed = len(facts) / (time.perf_counter() - start)
    q = encoder.embed_queries(questions) if prefixes else encoder.embed_passages(questions)
    result: dict = {"sentences_per_s": round(speed, 1)}
    for pool in ("en", "ko", "mixed"):
        rows = [i for i, it in enumerate(items) if pool == "mixed" or it["lang"] == pool]
        result[f"recall@1_{pool}"] = round(_recall_at_1(q[rows], p, rows, rows), 3)
    sims = q @ p.T
    right = [1 - sims[i, i] for i in range(len(items))]
    wrong = [1 - max(s for j, s in enumerate(sims[i]) if j != i) for i in range(len(items))]
    result["distance_right_median"] = round(float(statistics.median(right)), 3)
    result["distance_right_max"] = round(float(max(right)), 3)
    result["distance_best_wrong_median"] = round(float(statistics.median(wrong)), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    items = [
        json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line
    ]
    results = {}
    for label, factory, prefixes in (
        ("minilm-l6-v2-int8", MiniLMEncoder, True),
        ("multilingual-e5-small-q4", E5Encoder, True),
        ("multilingual-e5-small-q4 (no query prefix)", E5Encoder, False),
    ):
        start = time.perf_counter()
        encoder = factory()
        load = time.perf_counter() - start
        results[label] = {"load_s": round(load, 3), **evaluate(encoder, items, prefixes=prefixes)}
    if args.json:
        print(json.dumps({"n_items": len(items), "results": results}, indent=2))
        return
    print(f"{len(items)} facts/questions")
    for label, row in results.items():
        print(f"{label}:")
        for key, value in row.items():
            print(f"  {key:28s} {value}")


if __name__ == "__main__":
    main()
