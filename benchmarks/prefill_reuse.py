"""Prefill once per input: the first token of a second question about the same material.

`lamp ask -f FILE "question"` reads the whole file before it answers; on a
2-core CPU a 9 KB file (2,737 tokens) takes about 40 s. A second question about
the same file shares everything up to the end of the file, so lamp keeps the KV
state of that prefix in its prefix cache and the next process loads it. This
measures it through the shipped entry (``lamp.agent.app.run.answer``, as the CLI
does) with one-shot calls: each call gets a fresh Runtime and a freshly opened
model (a new llama.cpp context, as a new `lamp ask` process has; the model file
stays in the page cache), all sharing one LAMP_HOME and so one prefix cache.

    python benchmarks/prefill_reuse.py
    python benchmarks/prefill_reuse.py --chars 3000 --model qwen2.5-coder-0.5b --max-tokens 4

``-f``: the first question (cache empty: the prefix is read and saved), a
second, different question (the prefix loaded), and the second question again
with the prefix cache off (the prompt read whole, as before this change).
``--docs``: the file ingested into a collection, the same question asked twice
(the same sources come back: the second loads them), then a different question
(a hit only if retrieval returns the same sources in the same order).

First-token time is wall time from ``answer()`` to the first streamed text,
model load excluded (it is the same with or without the cache). Target: second
/ first <= 0.10 for ``-f``. Prints one line per call to stderr and a JSON
summary on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_backend import bench_runtime

from lamp.agent.app.memory import MemoryChoice, open_store
from lamp.agent.app.requests import AskRequest, DocsRequest, Given
from lamp.agent.app.run import answer
from lamp.agent.events import TextDelta
from lamp.agent.grounded.attachments import Attachment

ROOT = Path(__file__).resolve().parents[1]
NO_MEMORY = MemoryChoice(disabled=True)
QUESTIONS = ("In one sentence: what does the second look do?",
             "Which layers must the sandbox have before PAL runs a program?")


def one_shot(home: Path, model: str, flags: dict[str, Any], request: AskRequest,
             label: str) -> dict[str, Any]:
    """One call as a new `lamp ask` process makes it: a fresh Runtime and model."""
    rt, _ = bench_runtime(model, flags=flags, home=home)
    try:
        rt.model(quiet=True)
        started = time.perf_counter()
        run = answer(request, rt)
        first = None
        for event in run:
            if first is None and isinstance(event, TextDelta) and event.text:
                first = time.perf_counter() - started
        result = run.result
    finally:
        rt.close()
        del rt
        gc.collect()  # let the llama.cpp context go before the next one opens
    row = {"call": label, "first_token_s": round(first if first is not None else -1.0, 3),
           "prefix_cache": result.details.get("prefix_cache", "none"),
           "prompt_tokens": result.usage.prompt_tokens if result.usage else None,
           "answer": result.text.strip()}
    print(f"{label:34} first token {row['first_token_s']:8.2f} s   prefix cache "
          f"{row['prefix_cache']:5}  prompt {row['prompt_tokens']} tokens", file=sys.stderr,
          flush=True)
    return row


def ratio(later: dict[str, Any], first: dict[str, Any]) -> float | None:
    if first["first_token_s"] <= 0 or later["first_token_s"] < 0:
        return None
    return round(later["first_token_s"] / first["first_token_s"], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=ROOT / "docs" / "pal.md",
                        help="the attached file (default: docs/pal.md, ~9 KB)")
    parser.add_argument("--chars", type=int, default=0, help="use the first N characters")
    parser.add_argument("--model", default="", help="preset or GGUF (default: lamp's default)")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="0: lamp's default")
    parser.add_argument("--skip-docs", action="store_true", help="only the -f calls")
    options = parser.parse_args()

    text = options.file.read_text(encoding="utf-8")
    text = text[:options.chars] if options.chars > 0 else text
    flags: dict[str, Any] = {"temperature": 0, "max_tokens": options.max_tokens}
    if options.threads:
        flags["threads"] = options.threads
    no_cache = {**flags, "prefix_cache": False}
    attached = (Attachment(options.file.name, text),)

    with tempfile.TemporaryDirectory(prefix="lamp-prefill-") as scratch:
        home = Path(scratch)
        files = [one_shot(home, options.model, flags, AskRequest(
                     Given(QUESTIONS[0]), attachments=attached, memory=NO_MEMORY), "-f, first"),
                 one_shot(home, options.model, flags, AskRequest(
                     Given(QUESTIONS[1]), attachments=attached, memory=NO_MEMORY),
                     "-f, second question"),
                 one_shot(home, options.model, no_cache, AskRequest(
                     Given(QUESTIONS[1]), attachments=attached, memory=NO_MEMORY),
                     "-f, second question, cache off")]
        docs: list[dict[str, Any]] = []
        if not options.skip_docs:
            folder = home / "docs-src"
            folder.mkdir()
            (folder / options.file.name).write_text(text, encoding="utf-8")
            rt, _ = bench_runtime(options.model, flags=flags, home=home)
            store = open_store(rt.memory_location())
            try:
                store.ingest(folder / options.file.name)
            finally:
                store.close()
                rt.close()
            ask = [DocsRequest(Given(q), memory=NO_MEMORY) for q in
                   (QUESTIONS[0], QUESTIONS[0], QUESTIONS[1])]
            docs = [one_shot(home, options.model, flags, ask[0], "--docs, first"),
                    one_shot(home, options.model, flags, ask[1], "--docs, same question"),
                    one_shot(home, options.model, flags, ask[2], "--docs, other question")]

    summary: dict[str, Any] = {
        "file": str(options.file), "chars": len(text), "max_tokens": options.max_tokens,
        "file_second_over_first": ratio(files[1], files[0]),
        "file_second_over_no_cache": ratio(files[1], files[2]),
        "file_same_answer_as_no_cache": files[1]["answer"] == files[2]["answer"],
        "calls": files + docs}
    if docs:
        summary["docs_repeat_over_first"] = ratio(docs[1], docs[0])
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
