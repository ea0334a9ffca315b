"""Prompt lookup on vs off: tokens/s side by side on answers that copy their input.

Prompt-lookup decoding (lamp.agent.models.lookup) guesses the next tokens of a
reply from runs already in its prompt and lets the model check a guess in one
batch. It pays where the answer copies (a summary's phrases, a translation's
names and numbers, a reformatted table, extracted values, an answer quoting an
attached file) and costs a little everywhere else (guesses the model rejects).
This runs our own tasks through the shipped entry (``lamp.agent.app.run.answer``,
as `lamp ask` does), each once with ``prompt_lookup = off`` and once with ``on``,
on the same loaded model, and compares generation speed (tokens/s after the
first token) and the answers themselves (greedy: are they byte-identical?).

    python benchmarks/lookup_speed.py
    python benchmarks/lookup_speed.py --limit 2 --questions 1 --max-tokens 24 \\
        --model qwen2.5-coder-0.5b

Tasks: benchmarks/data/lookup_tasks.jsonl (20: summarize, translate, reformat,
grammar through lamp's templates with the text piped in; extract with
``--schema``; a question about an attached file with ``-f``; English and Korean)
over the texts in lookup_texts.jsonl (150-400 words each, written for this
benchmark). Free-form questions (lookup_questions.jsonl, 12) have little to copy;
there the target is no loss (on/off >= 0.98x). The order of the two runs
alternates from task to task, so neither always meets a warm cache.

Prints one line per task and mode to stderr and a JSON summary on stdout: the
mean and median speed ratio (on/off) for the copying tasks and the free-form
questions, per kind, and how many answers were identical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_backend import bench_runtime

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import AskRequest, Given, SchemaRequest
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Preloaded, Runtime
from lamp.agent.grounded.attachments import Attachment
from lamp.agent.structured.output import OutputSchema
from lamp.agent.templates import BUILTIN_TEMPLATES

DATA = Path(__file__).parent / "data"
NO_MEMORY = MemoryChoice(disabled=True)
TEMPLATED = ("summarize", "translate", "reformat", "grammar")


@dataclass(frozen=True)
class Outcome:
    text: str
    tokens: int
    tokens_per_s: float
    first_token_s: float


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def task_request(task: dict[str, Any], text: str) -> AskRequest:
    """The request `lamp ask` builds for the task: a template with the text piped in, a
    schema over piped text, or a question about the text attached as a file."""
    kind = task["kind"]
    if kind in TEMPLATED:
        return AskRequest(Given(task.get("request", ""), text),
                          template=BUILTIN_TEMPLATES[kind], memory=NO_MEMORY)
    if kind == "extract":
        return SchemaRequest(Given(task["request"], text),
                             schema=OutputSchema.parse(task["schema"]), memory=NO_MEMORY)
    if kind == "file":
        return AskRequest(Given(task["question"]),
                          attachments=(Attachment(f"{task['text']}.md", text),),
                          memory=NO_MEMORY)
    raise ValueError(f"unknown task kind {kind!r}")


def run_one(rt: Runtime, request: AskRequest) -> Outcome:
    result = answer(request, rt).consume()
    usage = result.usage
    if usage is None:
        raise RuntimeError("the run reported no usage")
    return Outcome(result.text, usage.completion_tokens, usage.tokens_per_second,
                   usage.seconds_to_first_token)


def side_by_side(runtimes: dict[str, Runtime], name: str, request: AskRequest,
                 on_first: bool) -> dict[str, Any]:
    order = ("on", "off") if on_first else ("off", "on")
    got = {mode: run_one(runtimes[mode], request) for mode in order}
    on, off = got["on"], got["off"]
    ratio = on.tokens_per_s / off.tokens_per_s if off.tokens_per_s else 0.0
    row = {"id": name, "identical": on.text == off.text, "ratio": round(ratio, 3),
           **{f"{mode}_tokens_per_s": round(o.tokens_per_s, 2) for mode, o in got.items()},
           **{f"{mode}_tokens": o.tokens for mode, o in got.items()}}
    print(f"{name:28} off {off.tokens_per_s:6.2f} tok/s ({off.tokens:3d})  on "
          f"{on.tokens_per_s:6.2f} tok/s ({on.tokens:3d})  x{ratio:.2f}  "
          f"{'same' if row['identical'] else 'DIFFERENT'}", file=sys.stderr, flush=True)
    return row


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    return {"n": len(rows), "identical": sum(r["identical"] for r in rows),
            "mean_ratio": round(statistics.fmean(ratios), 3) if ratios else None,
            "median_ratio": round(statistics.median(ratios), 3) if ratios else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="", help="preset or GGUF (default: lamp's default)")
    parser.add_argument("--limit", type=int, default=0, help="first N tasks (0: all)")
    parser.add_argument("--questions", type=int, default=-1,
                        help="first N free-form questions (-1: all)")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--threads", type=int, default=0, help="0: lamp's default")
    options = parser.parse_args()

    texts = {t["id"]: t["text"] for t in read_jsonl(DATA / "lookup_texts.jsonl")}
    tasks = read_jsonl(DATA / "lookup_tasks.jsonl")
    questions = read_jsonl(DATA / "lookup_questions.jsonl")
    tasks = tasks[:options.limit] if options.limit > 0 else tasks
    questions = questions[:options.questions] if options.questions >= 0 else questions

    flags: dict[str, Any] = {"temperature": 0, "max_tokens": options.max_tokens}
    if options.threads:
        flags["threads"] = options.threads
    off, model_file = bench_runtime(options.model, flags={**flags, "prompt_lookup": "off"})
    backend = off.model(quiet=True)
    # The same loaded model under the other setting, as a second command would see it.
    on = Runtime({**off.flags, "prompt_lookup": "on"}, off.caller,
                 model_source=Preloaded(backend))
    runtimes = {"off": off, "on": on}
    try:
        copying = [side_by_side(runtimes, t["id"], task_request(t, texts[t["text"]]), i % 2 == 1)
                   for i, t in enumerate(tasks)]
        free = [side_by_side(runtimes, q["id"], AskRequest(Given(q["question"]),
                                                           memory=NO_MEMORY), i % 2 == 1)
                for i, q in enumerate(questions)]
    finally:
        on.close()
        off.close()
    kinds = sorted({t["kind"] for t in tasks})
    by_kind = {k: summarize([r for r, t in zip(copying, tasks, strict=True) if t["kind"] == k])
               for k in kinds}
    summary = {"model": str(model_file), "max_tokens": options.max_tokens,
               "copying": summarize(copying), "free_form": summarize(free),
               "by_kind": by_kind, "tasks": copying, "questions": free}
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
