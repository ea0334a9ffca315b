"""Grounded answers on HotpotQA (distractor): retrieval recall, EM/F1, citation precision.

    python benchmarks/rag_hotpotqa.py --data ../shared/bench-data/hotpotqa_dev.jsonl \
        --retrieval-items 100 --qa-items 15

Per item, its ten paragraphs are written as ten files and ingested with lamp's own
ingestion into a fresh collection of one temporary store (real e5 vectors, real
Chroma; one store per item). Then:

* retrieval (no model): recall@k of the two gold paragraphs (the titles named by
  ``supporting_facts``) for vector and BM25 alone, reciprocal rank fusion of the two
  (``rrf``, computed here from their rankings, as lamp fused before), lamp's combined
  scores without the bridge hop (``combined``) and lamp's hybrid search as ``--docs``
  runs it (``hybrid``: combined, then the bridge hop), k in --ks; "both@k" is the
  share of items with both gold paragraphs in the top k;
* answers (the model; first --qa-items items): each asked as `lamp ask` asks it,
  through ``lamp.agent.app.run.answer`` on one Runtime (bench_backend.py, the model
  loaded once) whose LAMP_HOME holds a store the items are also ingested into:
  closed-book (an ``AskRequest``, no text), gold (a ``DocsRequest`` on a collection
  of the two gold paragraphs only, the model's ceiling with this prompt) and docs
  (a ``DocsRequest`` on the item's ten paragraphs, --k sources: ``lamp ask --docs
  --collection qN``), all with the options `--no-memory --system SYSTEM
  --temperature 0 --max-tokens N`; EM/F1 after SQuAD normalisation with the ``[n]``
  citations removed;
  citation precision = share of cited sources that are gold paragraphs; invalid =
  answers citing a source that was not given (must be 0).

Prints a line per item and a final JSON summary (also written to --out).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from react_hotpotqa import f1, normalize

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import AskRequest, DocsRequest, Given
from lamp.agent.app.result import RunResult
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Runtime
from lamp.agent.errors import LampError
from lamp.memory import MemoryStore

NO_MEMORY = MemoryChoice(disabled=True)  # `--no-memory`: items must not recall each other
SYSTEM = ("Answer with a short phrase only (a name, a date, a number, or yes/no), "
          "not a sentence.")


def _file_name(title: str, n: int) -> str:
    return f"{n:02d}-" + re.sub(r"[^A-Za-z0-9]+", "_", title)[:60] + ".txt"


def ingest_item(store: MemoryStore, item: dict[str, Any], idx: int, root: Path, *,
                gold_only: bool = False) -> dict[str, str]:
    """Write the item's paragraphs (or its gold ones only, collection gN) as files, ingest
    them into collection qN; returns resolved path -> title."""
    name = f"{'g' if gold_only else 'q'}{idx}"
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    gold = gold_titles(item)
    titles: dict[str, str] = {}
    for n, (title, sentences) in enumerate(item["context"]):
        if gold_only and title not in gold:
            continue
        path = folder / _file_name(title, n)
        path.write_text(f"{title}: {''.join(sentences).strip()}\n", encoding="utf-8")
        store.documents.ingest(path, collection=name)
        titles[str(path.resolve())] = title
    return titles


def gold_titles(item: dict[str, Any]) -> set[str]:
    return {title for title, _ in item["supporting_facts"]}


def rrf(rankings: list[list[str]], k: int = 60) -> list[str]:
    """Reciprocal rank fusion of best-first id lists (the usual k = 60), best first."""
    score: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            score[item] = score.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(score, key=lambda i: -score[i])


def ask(rt: Runtime, request: AskRequest) -> tuple[RunResult, str]:
    """The run's result and its error ("" when none): a citation of a source that was not
    given (InvalidCitation) fails the run, as it fails `lamp ask --docs`."""
    run = answer(request, rt)
    try:
        run.consume()
    except LampError as exc:
        return run.result, str(exc)
    return run.result, ""


def _retrieval_summary(recall: dict[str, dict[int, list[float]]],
                       both: dict[str, dict[int, list[float]]], ks: list[int]
                       ) -> dict[str, dict[str, float]]:
    return {m: {f"recall@{k}": round(statistics.mean(recall[m][k]), 3) for k in ks}
            | {f"both@{k}": round(statistics.mean(both[m][k]), 3) for k in ks}
            for m in recall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--retrieval-items", type=int, default=100)
    ap.add_argument("--qa-items", type=int, default=15)
    ap.add_argument("--ks", default="2,4,5")
    ap.add_argument("--k", type=int, default=4, help="sources given in the docs condition")
    ap.add_argument("--model", default="")
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    items = [json.loads(x) for x in args.data.read_text().splitlines() if x.strip()]
    items = items[: max(args.retrieval_items, args.qa_items)]
    ks = [int(k) for k in args.ks.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="lamp-rag-bench-"))
    # One store per item: a fresh collection, and an embedded store reopens its index
    # after each write, which would cost more and more in one store holding every item.
    modes = ("vector", "bm25", "rrf", "combined", "hybrid")
    recall: dict[str, dict[int, list[float]]] = {m: {k: [] for k in ks} for m in modes}
    both: dict[str, dict[int, list[float]]] = {m: {k: [] for k in ks} for m in modes}
    started = time.perf_counter()
    search_s: list[float] = []
    for idx, item in enumerate(items[: args.retrieval_items]):
        store = MemoryStore.open(tmp / f"store-{idx}")
        titles = ingest_item(store, item, idx, tmp / "files")
        gold = gold_titles(item)
        ranked: dict[str, list[str]] = {}
        ids: dict[str, list[str]] = {}
        for mode in ("vector", "bm25", "combined", "hybrid"):
            t0 = time.perf_counter()
            # vector and BM25 lists are whole (RRF below needs them), the others top k
            hits = store.documents.search(
                item["question"], collection=f"q{idx}",
                k=20 if mode in ("vector", "bm25") else max(ks),
                mode="hybrid" if mode == "combined" else mode, bridge=mode == "hybrid")
            if mode == "hybrid":
                search_s.append(time.perf_counter() - t0)
            ranked[mode] = [titles[h.source] for h in hits]
            ids[mode] = [h.id for h in hits]
        store.close()
        title_of = dict(zip(ids["vector"] + ids["bm25"], ranked["vector"] + ranked["bm25"],
                            strict=True))
        ranked["rrf"] = [title_of[i] for i in rrf([ids["vector"], ids["bm25"]])]
        for mode in modes:
            for k in ks:
                found = set(ranked[mode][:k]) & gold
                recall[mode][k].append(len(found) / len(gold))
                both[mode][k].append(float(found == gold))
        print(f"retrieval {idx:3d} " + " ".join(
            f"{m} r@4 {recall[m][4][-1]:.2f}" for m in modes if 4 in ks), flush=True)
        if args.out and (idx + 1) % 10 == 0:  # a long run leaves its figures so far
            args.out.write_text(json.dumps(
                {"retrieval_items_so_far": idx + 1,
                 "retrieval": _retrieval_summary(recall, both, ks)}, indent=2) + "\n")
    retrieval_s = time.perf_counter() - started

    summary: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"),
                               "retrieval_items": min(args.retrieval_items, len(items))}
    if search_s:
        summary |= {
            "retrieval": _retrieval_summary(recall, both, ks),
            "hybrid_search_ms_mean": round(1000 * statistics.mean(search_s), 1),
            "retrieval_wall_s": round(retrieval_s, 1),
        }
    if args.qa_items:
        summary |= _qa(args, items[: args.qa_items], tmp)
    print(json.dumps(summary))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")


def _qa(args: argparse.Namespace, items: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    """The answers: the items ingested again into the store of the Runtime's LAMP_HOME,
    then each condition asked through lamp's entry."""
    from bench_backend import bench_runtime

    rt, model = bench_runtime(args.model, home=tmp / "home", flags={
        "system": SYSTEM, "temperature": 0, "max_tokens": args.max_tokens})
    store = MemoryStore.open(rt.memory_location().path)
    titles: dict[str, str] = {}  # resolved path -> title, every collection
    try:
        for idx, item in enumerate(items):
            titles |= ingest_item(store, item, idx, tmp / "qa-files")
            titles |= ingest_item(store, item, idx, tmp / "qa-files", gold_only=True)
    finally:
        store.close()  # lamp opens it for each --docs question, as a one-shot call does
    scores: dict[str, dict[str, list[float]]] = {
        c: {"em": [], "f1": [], "seconds": []} for c in ("closed", "gold", "docs")}
    cited_total = cited_gold = invalid = uncited = 0
    try:
        for idx, item in enumerate(items):
            gold = gold_titles(item)
            given = Given(prompt=item["question"])
            requests = {
                "closed": AskRequest(given, memory=NO_MEMORY),
                "gold": DocsRequest(given, collection=f"g{idx}", sources=len(gold),
                                    memory=NO_MEMORY),
                "docs": DocsRequest(given, collection=f"q{idx}", sources=args.k,
                                    memory=NO_MEMORY)}
            for cond, request in requests.items():
                t0 = time.perf_counter()
                result, error = ask(rt, request)
                text = "" if error else str(result.answer).strip()
                plain = re.sub(r"\[\d+\]", "", text).strip()
                s = scores[cond]
                s["em"].append(float(normalize(plain) == normalize(item["answer"])))
                s["f1"].append(f1(plain, item["answer"]))
                s["seconds"].append(time.perf_counter() - t0)
                if cond == "docs":
                    invalid += bool(error)
                    cited = set(result.citations)
                    uncited += not cited
                    cited_total += len(cited)
                    sources = result.sources
                    cited_gold += sum(1 for n in cited if 1 <= n <= len(sources)
                                      and titles.get(sources[n - 1].path or "") in gold)
                print(f"{cond:<6} {idx:3d} em {s['em'][-1]:.0f} f1 {s['f1'][-1]:.2f} "
                      f"{s['seconds'][-1]:5.1f}s gold {item['answer']!r:.30} got {text!r:.60}"
                      f"{' ERROR ' + error if error else ''}", flush=True)
    finally:
        rt.close()
    return {
        "qa_items": len(items), "model": model.name,
        "qa": {c: {"exact_match": round(statistics.mean(v["em"]), 3),
                   "f1": round(statistics.mean(v["f1"]), 3),
                   "seconds_per_item": round(statistics.mean(v["seconds"]), 1)}
               for c, v in scores.items()},
        "citations": {"precision": round(cited_gold / cited_total, 3) if cited_total else None,
                      "cited": cited_total, "answers_without_citation": uncited,
                      "invalid_citation_answers": invalid}}


if __name__ == "__main__":
    main()
