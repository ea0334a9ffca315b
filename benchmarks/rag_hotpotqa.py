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
* answers (the model; first --qa-items items): closed-book (no text), gold (the two
  gold paragraphs given as the numbered sources, the model's ceiling with this
  prompt) and docs (the top --k hybrid chunks as numbered sources, what
  ``lamp ask --docs`` does), all through ``lamp.agent.grounded`` with the citation
  grammar; EM/F1 after SQuAD normalisation with the ``[n]`` citations removed;
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

from lamp.agent.conversation import Conversation
from lamp.agent.errors import InvalidCitation
from lamp.agent.events import FinalAnswer
from lamp.agent.grounded.answer import Source, ask_grounded, cited_numbers, fit_sources
from lamp.agent.models import Sampling
from lamp.memory import MemoryStore

SYSTEM = ("Answer with a short phrase only (a name, a date, a number, or yes/no), "
          "not a sentence.")


def _file_name(title: str, n: int) -> str:
    return f"{n:02d}-" + re.sub(r"[^A-Za-z0-9]+", "_", title)[:60] + ".txt"


def ingest_item(store: MemoryStore, item: dict[str, Any], idx: int, root: Path) -> dict[str, str]:
    """Write the item's paragraphs as files, ingest them; returns resolved path -> title."""
    folder = root / f"q{idx}"
    folder.mkdir(parents=True, exist_ok=True)
    titles: dict[str, str] = {}
    for n, (title, sentences) in enumerate(item["context"]):
        path = folder / _file_name(title, n)
        path.write_text(f"{title}: {''.join(sentences).strip()}\n", encoding="utf-8")
        store.documents.ingest(path, collection=f"q{idx}")
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


def answer(conv: Conversation, question: str, sources: list[Source]) -> tuple[str, str]:
    """(answer, error) through the grounded path; an invalid citation is an error."""
    try:
        final = next(e for e in ask_grounded(conv, question, sources, base_system=SYSTEM)
                     if isinstance(e, FinalAnswer))
        return final.text.strip(), ""
    except InvalidCitation as exc:
        return "", str(exc)


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
    stores = []
    modes = ("vector", "bm25", "rrf", "combined", "hybrid")
    recall: dict[str, dict[int, list[float]]] = {m: {k: [] for k in ks} for m in modes}
    both: dict[str, dict[int, list[float]]] = {m: {k: [] for k in ks} for m in modes}
    titles_of: list[dict[str, str]] = []
    started = time.perf_counter()
    search_s: list[float] = []
    for idx, item in enumerate(items):
        store = MemoryStore.open(tmp / f"store-{idx}")
        stores.append(store)
        titles = ingest_item(store, item, idx, tmp / "files")
        titles_of.append(titles)
        if idx >= args.retrieval_items:
            continue
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
        from bench_backend import model_and_backend

        model, backend = model_and_backend(args.model)
        sampling = Sampling(temperature=0, max_tokens=args.max_tokens, repeat_penalty=1.0)
        scores: dict[str, dict[str, list[float]]] = {
            c: {"em": [], "f1": [], "seconds": []} for c in ("closed", "gold", "docs")}
        cited_total = cited_gold = invalid = uncited = 0
        for idx, item in enumerate(items[: args.qa_items]):
            gold = gold_titles(item)
            q = item["question"]
            for cond in ("closed", "gold", "docs"):
                conv = Conversation(backend=backend, sampling=sampling, system=SYSTEM)
                t0 = time.perf_counter()
                sources: list[Source] = []
                if cond == "gold":
                    paras = [(t, "".join(s).strip()) for t, s in item["context"] if t in gold]
                    sources = [Source(n=i + 1, label=t, text=f"{t}: {p}", path=t)
                               for i, (t, p) in enumerate(paras)]
                elif cond == "docs":
                    hits = stores[idx].documents.search(q, collection=f"q{idx}", k=args.k)
                    cands = [Source(n=i + 1, label=titles_of[idx][h.source], text=h.text,
                                    path=titles_of[idx][h.source]) for i, h in enumerate(hits)]
                    sources = fit_sources(cands, 2048, backend.count_text)
                if cond == "closed":
                    final = next(e for e in conv.send(q) if isinstance(e, FinalAnswer))
                    text, error = final.text.strip(), ""
                else:
                    text, error = answer(conv, q, sources)
                plain = re.sub(r"\[\d+\]", "", text).strip()
                s = scores[cond]
                s["em"].append(float(normalize(plain) == normalize(item["answer"])))
                s["f1"].append(f1(plain, item["answer"]))
                s["seconds"].append(time.perf_counter() - t0)
                if cond == "docs":
                    invalid += bool(error)
                    cited = set(cited_numbers(text))
                    uncited += not cited
                    cited_total += len(cited)
                    cited_gold += sum(1 for n in cited
                                      if 1 <= n <= len(sources) and sources[n - 1].path in gold)
                print(f"{cond:<6} {idx:3d} em {s['em'][-1]:.0f} f1 {s['f1'][-1]:.2f} "
                      f"{s['seconds'][-1]:5.1f}s gold {item['answer']!r:.30} got {text!r:.60}"
                      f"{' ERROR ' + error if error else ''}", flush=True)
        summary["qa_items"] = min(args.qa_items, len(items))
        summary["model"] = model.name
        summary["qa"] = {c: {"exact_match": round(statistics.mean(v["em"]), 3),
                             "f1": round(statistics.mean(v["f1"]), 3),
                             "seconds_per_item": round(statistics.mean(v["seconds"]), 1)}
                         for c, v in scores.items()}
        summary["citations"] = {
            "precision": round(cited_gold / cited_total, 3) if cited_total else None,
            "cited": cited_total, "answers_without_citation": uncited,
            "invalid_citation_answers": invalid}
    for store in stores:
        store.close()
    print(json.dumps(summary))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
