"""PAL vs chain-of-thought on GSM8K-style problems, same model, greedy, same items.

    python benchmarks/pal_gsm8k.py --data ../shared/bench-data/gsm8k_dev.jsonl --limit 50
    python benchmarks/pal_gsm8k.py --data ../shared/bench-data/gsmhard_dev.jsonl --limit 50
    python benchmarks/pal_gsm8k.py --data benchmarks/data/word_problems_ko.jsonl

The last is our own set: 30 short word problems in Korean, and the same 30 in
English in word_problems_en.jsonl (same ids after the language prefix, same
answers), to tell the model's Korean reading apart from its arithmetic setup.

PAL is `lamp pal` as shipped: one Runtime (bench_backend.py, the model loaded
once, its prefix cache on) answers a ``PalRequest`` per item through
``lamp.agent.app.run.answer``, scored from the run's result (the answer and the
record of its programs). The chain-of-thought baseline is not lamp's: it stays a
direct completion on the same model, greedy, without a repeat penalty.

Prints one line per item and a final JSON summary: accuracy of each method, PAL
failure categories, seconds per item, and the sandbox's overhead per run
(`print(1)` in the sandbox vs a plain `python -I -c`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_backend import bench_runtime

from lamp.agent.app.requests import Given, PalRequest
from lamp.agent.app.run import answer
from lamp.agent.config.settings import pal_sample_count
from lamp.agent.models import Backend, Message, Sampling
from lamp.agent.sandbox import Sandbox

COT_SYSTEM = ("Solve the math word problem. Think step by step, then finish with a last line "
              "of the form 'Answer: <number>'.")
# The exponent matters: a program's value can print as 2.39199800125e-06 (GSM-Hard's
# golds reach both ends of the float range), which must not be read as 2.39.
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


def to_number(text: str | None) -> float | None:
    if not text:
        return None
    match = NUMBER.findall(text.replace("$", ""))
    if not match:
        return None
    try:
        return float(match[-1].replace(",", ""))
    except ValueError:
        return None


def is_right(text: str | None, gold: float) -> bool:
    """Within 0.001 of the gold value: the convention of GSM8K and GSM-Hard (see
    bench-data/README.md). Under it a gold below 0.001 (GSM-Hard has 2.392e-06) is also
    matched by 0 or any other tiny value; docs/models.md counts those items separately."""
    value = to_number(text)
    return value is not None and abs(value - gold) < 1e-3


def cot_answer(backend: Backend, question: str, max_tokens: int) -> str:
    messages = [Message("system", COT_SYSTEM), Message("user", question)]
    text = "".join(c.text for c in backend.stream_chat(
        messages, Sampling(temperature=0, max_tokens=max_tokens, repeat_penalty=1.0)))
    tail = text.rsplit("Answer:", 1)[-1] if "Answer:" in text else text
    return tail


def sandbox_overhead(sandbox: Sandbox, runs: int = 15) -> dict[str, float]:
    plain, boxed = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", "print(1)"], capture_output=True, check=True)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = sandbox.run("print(1)")
        boxed.append(time.perf_counter() - t)
        assert result.stdout.strip() == "1", result
    p, b = statistics.median(plain), statistics.median(boxed)
    return {"plain_python_ms": p * 1000, "sandbox_ms": b * 1000, "overhead_ms": (b - p) * 1000,
            "target_overhead_ms": 60, "layers": list(sandbox.run("pass").layers)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--start", type=int, default=0,
                    help="skip this many items first (to continue an earlier run)")
    ap.add_argument("--ids", default="", help="comma-separated item ids: run only these")
    ap.add_argument("--no-cot", action="store_true", help="skip the chain-of-thought baseline")
    ap.add_argument("--no-pal", action="store_true",
                    help="run the chain-of-thought baseline alone (it does not change with lamp)")
    ap.add_argument("--cot-max-tokens", type=int, default=400)
    ap.add_argument("--model", default="")
    ap.add_argument("--samples", default="auto",
                    help="auto (as shipped: more programs only for a doubted answer; the "
                    "summary also gives the answer before them, from the same run) or N "
                    "programs per item, voted (the first one greedy, so the summary also "
                    "gives the one-program accuracy)")
    ap.add_argument("--seed", type=int, default=1234, help="seed of the sampled programs")
    ap.add_argument("--cases", type=Path, default=None,
                    help="write one JSON line per item here: the programs, values and the "
                    "chain-of-thought text, to read the failures afterwards")
    args = ap.parse_args()

    samples = pal_sample_count(args.samples)
    if samples is None:
        ap.error(f"--samples: auto or 1 to 20, got {args.samples!r}")
    items = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    items = items[args.start:]
    items = items[: args.limit] if args.limit else items
    if args.ids:
        items = [item for item in items if item["id"] in args.ids.split(",")]
    # As `lamp pal --seed S` runs: the instructions and worked examples come from the prefix
    # cache, so alternating with the chain-of-thought prompt does not re-read them every item.
    rt, model = bench_runtime(args.model, flags={"seed": args.seed})
    backend = rt.model()
    pal_ok = cot_ok = first_ok = programs = 0
    failures: dict[str, int] = {"no code": 0, "exception": 0, "timeout": 0, "no value": 0,
                                "wrong": 0}
    pal_secs, cot_secs, before_secs, retries = [], [], [], 0
    halves = {h: {"items": 0, "before": 0, "after": 0, "doubted": 0, "cot": 0}
              for h in "ab"}
    with (args.cases.open("w", encoding="utf-8") if args.cases
          else contextlib.nullcontext()) as cases:
        for n, item in enumerate(items, 1):
            half = "a" if (n - 1) % 2 == 0 else "b"  # even positions of the run, then odd
            halves[half]["items"] += 1
            outcome: dict = {}
            pal_right, shown = False, None
            if not args.no_pal:
                t = time.perf_counter()
                done = answer(PalRequest(Given(prompt=item["question"]), samples=samples),
                              rt).consume()
                pal_secs.append(time.perf_counter() - t)
                outcome = done.details  # the PalRecord as JSON, plus the explanation (none)
                shown = done.answer
                before_doubt = (outcome.get("value_before_doubt") if outcome.get("doubts")
                                else done.answer)
                before_secs.append(pal_secs[-1] - outcome.get("timings", {}).get("doubt_s", 0.0))
                retries += outcome.get("retries", 0)
                pal_right = done.error is None and is_right(str(done.answer), item["answer"])
                pal_ok += pal_right
                programs += outcome.get("programs", 0)
                first = next((a.get("value") for a in outcome.get("attempts", [])
                              if a.get("program") == 1), None)
                first_ok += is_right(first, item["answer"])
                halves[half]["after"] += pal_right
                halves[half]["before"] += is_right(before_doubt, item["answer"])
                halves[half]["doubted"] += bool(outcome.get("doubts"))
                if not pal_right:
                    failures[outcome.get("failure") or "wrong"] += 1
            cot_text, cot_right = "", False
            if not args.no_cot:
                t = time.perf_counter()
                cot_text = cot_answer(backend, item["question"], args.cot_max_tokens)
                cot_secs.append(time.perf_counter() - t)
                cot_right = is_right(cot_text, item["answer"])
                cot_ok += cot_right
                halves[half]["cot"] += cot_right
            if cases is not None:
                cases.write(json.dumps({
                    "id": item["id"], "gold": item["answer"], "pal_right": pal_right,
                    "pal": outcome, "pal_answer": shown, "cot_right": cot_right,
                    "cot_text": cot_text},
                    ensure_ascii=False, default=str) + "\n")
                cases.flush()
            print(f"{n:>4} {item['id']:<14} gold {item['answer']:<12g} pal {shown!s:<14}"
                  f"{'ok ' if pal_right else 'BAD'} {pal_secs[-1] if pal_secs else 0:5.1f}s"
                  + (f" {outcome.get('programs', 0)}p" if outcome.get("programs", 0) > 1
                     else "")
                  + (f" doubted, before {before_doubt}" if outcome.get("doubts") else "")
                  + ("" if args.no_cot else
                     f" | cot {to_number(cot_text)!s:<14}{'ok ' if cot_right else 'BAD'} "
                     f"{cot_secs[-1]:5.1f}s"), flush=True)
    total = len(items)
    not_wrong = sum(v for k, v in failures.items() if k != "wrong")
    summary = {
        "data": str(args.data), "model": model.name, "items": total,
        "pal_accuracy": None if args.no_pal else pal_ok / total,
        "pal_samples": args.samples,
        "pal_before_doubt_accuracy": sum(h["before"] for h in halves.values()) / total,
        "halves": {h: {"items": v["items"], "before": v["before"] / max(1, v["items"]),
                       "after": v["after"] / max(1, v["items"]), "doubted": v["doubted"],
                       "cot": None if args.no_cot else v["cot"] / max(1, v["items"])}
                   for h, v in halves.items()},
        "pal_before_doubt_s_per_item": statistics.mean(before_secs) if before_secs else None,
        "pal_first_program_accuracy": first_ok / total,
        "pal_programs_per_item": programs / total,
        "cot_accuracy": None if args.no_cot else cot_ok / total,
        "pal_failures": failures,
        "pal_non_wrong_failure_rate": not_wrong / total,
        "pal_retries": retries,
        "pal_s_per_item": statistics.mean(pal_secs) if pal_secs else None,
        "cot_s_per_item": statistics.mean(cot_secs) if cot_secs else None,
        "sandbox": sandbox_overhead(rt.sandbox()),
    }
    rt.close()
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
