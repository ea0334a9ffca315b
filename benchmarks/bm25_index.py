"""What lamp's BM25 index costs to build, against asking it once it is built.

    python benchmarks/bm25_index.py [--sizes 150,1000,5000] [--runs 5]

The chunks are lamp's own docs/*.md, chunked as ``lamp memory ingest`` does and
repeated to each size. ``Documents.search`` keeps the last index until a chunk or a
file's text changes, so a repeated search pays the query, not the build. Medians.
(A search also reads the chunks from Chroma and embeds the question; those are not
measured here.)
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from lamp.memory._chunking import chunk_text
from lamp.memory.documents import Bm25Index, tokenize
from lamp.memory.extract import read_document

QUESTIONS = ["How does lamp keep memory safe with several processes?",
             "여러 프로세스가 동시에 쓸 때 메모리는 어떻게 안전한가요?"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="150,1000,5000")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    docs = Path(__file__).resolve().parent.parent / "docs"
    chunks = [c for p in sorted(docs.glob("*.md")) for c in chunk_text(read_document(p))]
    print(f"{len(chunks)} chunks in docs/*.md")
    for size in (int(x) for x in args.sizes.split(",")):
        texts = (chunks * (size // len(chunks) + 1))[:size]
        build, ask = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            index = Bm25Index(texts)
            t1 = time.perf_counter()
            for q in QUESTIONS:
                index.best(tokenize(q), 20)
            t2 = time.perf_counter()
            build.append(t1 - t0)
            ask.append((t2 - t1) / len(QUESTIONS))
        b, a = statistics.median(build), statistics.median(ask)
        print(f"{size:6d} chunks: build {1000 * b:8.1f} ms, one question {1000 * a:6.1f} ms, "
              f"BM25's part of a search, index built / kept = {(b + a) / a:6.1f}x")


if __name__ == "__main__":
    main()
