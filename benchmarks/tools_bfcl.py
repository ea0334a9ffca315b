"""Tool calling on BFCL (simple_python, multiple, irrelevance), both step formats, one step each.

    python benchmarks/tools_bfcl.py --data ../shared/bench-data/bfcl --limit 40

Each case is the router's decision and one agent step generated exactly as
`lamp ask --tools` does them (same router, format code and grammar, greedy), then
scored by AST match; `--no-route` measures without the router (as before issue 11).
As in lamp's loop, a step cut off at the token limit is asked for again with the
required arguments only, and a call whose numbers the question does not give is
held back: the model is told so and has one more step, and the case is scored on
the call made then (a second held call, or an answer, is no call);
`--no-value-check` measures without that check. Prints a line per case and a
final JSON summary: accuracy per category and format, and the rate of malformed
steps (target 0%: the grammar should make them impossible).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import TextIO

from bench_backend import prefix_cached_backend
from bfcl_common import score_call, to_json_schema

from lamp.agent.config import paths
from lamp.agent.models import Backend, Sampling, complete
from lamp.agent.models.model_store import ensure_default_model
from lamp.agent.react.call_values import not_given_note, unsupported_numbers
from lamp.agent.react.formats import Action, Final, Step, ToolSpec, get_format, required_only
from lamp.agent.react.loop import DEFAULT_SYSTEM
from lamp.agent.react.route import needs_tool

CATEGORIES = ("simple_python", "multiple", "irrelevance")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="the bfcl folder")
    ap.add_argument("--limit", type=int, default=0, help="cases per category (0: all)")
    ap.add_argument("--start", type=int, default=0,
                    help="skip this many cases of each category first (to split a run)")
    ap.add_argument("--formats", default="react,native")
    ap.add_argument("--categories", default=",".join(CATEGORIES))
    ap.add_argument("--ids", default="",
                    help="comma-separated case ids: run only these (after --start/--limit)")
    ap.add_argument("--model", default="")
    ap.add_argument("--cases", type=Path, default=None,
                    help="also write one JSON line per case here (the call in full)")
    ap.add_argument("--no-route", action="store_true",
                    help="no router before the step (as before issue 11)")
    ap.add_argument("--no-value-check", action="store_true",
                    help="run calls whose numbers the question does not give (as before)")
    args = ap.parse_args()

    model = Path(args.model) if args.model else ensure_default_model(paths.models_dir())
    backend = prefix_cached_backend(model)
    print(f"model {model.name}, router {'off' if args.no_route else 'on'}, value check "
          f"{'off' if args.no_value_check else 'on'}", flush=True)
    sampling = Sampling(temperature=0, max_tokens=384, repeat_penalty=1.0)
    with (args.cases or Path(os.devnull)).open("w", encoding="utf-8") as cases:
        _run(args, backend, sampling, cases)


def _not_given(call: Action, specs: list[ToolSpec], question: str) -> list[str]:
    spec = next((s for s in specs if s.name == call.tool), None)
    return unsupported_numbers(call.args, spec.schema if spec else {}, [question])


def _run(args: argparse.Namespace, backend: Backend, sampling: Sampling, cases: TextIO) -> None:
    results: dict[str, dict[str, list[bool]]] = {}
    malformed: dict[str, int] = {}
    seconds: dict[str, list[float]] = {}
    for fmt_name in args.formats.split(","):
        fmt = get_format(fmt_name)
        results[fmt_name], malformed[fmt_name], seconds[fmt_name] = {}, 0, []
        for category in args.categories.split(","):
            lines = (args.data / f"{category}.jsonl").read_text().splitlines()
            items = [json.loads(x) for x in lines if x.strip()][args.start:]
            items = items[: args.limit] if args.limit else items
            if args.ids:
                items = [item for item in items if item["id"] in args.ids.split(",")]
            results[fmt_name][category] = []
            for item in items:
                specs = [ToolSpec(f["name"], f.get("description", ""),
                                  to_json_schema(f["parameters"])) for f in item["function"]]
                question = "\n".join(m["content"] for m in item["question"][0]
                                     if m["role"] == "user")
                tool_defs = (fmt.template_tools(specs) if backend.capabilities.template_tools
                             else None)
                messages = fmt.messages(DEFAULT_SYSTEM, specs, question, [], tool_defs is not None)
                started = time.perf_counter()
                # As lamp's loop does: the router first; "direct" means no call at all, and
                # after "tool" the first step must call one.
                routed = not args.no_route
                held: list[str] = []
                if not routed or needs_tool(backend, question, specs, sampling).tool:
                    special = backend.special_token_rule
                    text, usage = complete(backend, messages, sampling, fmt.grammar(
                        specs, special=special, call_only=routed), tool_defs)
                    parsed = fmt.parse(text)
                    if parsed is None and usage.finish_reason == "length":
                        text, usage = complete(backend, messages, sampling, fmt.grammar(
                            required_only(specs), special=special, call_only=routed),
                            tool_defs)
                        parsed = fmt.parse(text)
                    if isinstance(parsed, Action) and not args.no_value_check:
                        held = _not_given(parsed, specs, question)
                        if held:  # told why, the model has one more step to mend the call
                            steps = [Step(text, parsed, not_given_note(held))]
                            again = fmt.messages(DEFAULT_SYSTEM, specs, question, steps,
                                                 tool_defs is not None)
                            text, usage = complete(backend, again, sampling, fmt.grammar(
                                specs, special=special), tool_defs)
                            mended = fmt.parse(text)
                            if isinstance(mended, Action):
                                parsed, held = mended, _not_given(mended, specs, question)
                else:
                    parsed = Final("(routed: no tool needed)")
                seconds[fmt_name].append(time.perf_counter() - started)
                if parsed is None:
                    malformed[fmt_name] += 1
                made = (parsed.tool, parsed.args) if isinstance(parsed, Action) else None
                ran = None if held else made  # a held call is not run: answered directly
                ok, why = score_call(ran, item.get("ground_truth"))
                results[fmt_name][category].append(ok)
                shown = "final" if isinstance(parsed, Final) else (
                    "MALFORMED" if parsed is None else
                    f"{'held ' if held else ''}{made[0]}({json.dumps(made[1])})")
                print(f"{fmt_name:<6} {category:<13} {item['id']:<22} {'ok ' if ok else 'BAD'} "
                      f"{seconds[fmt_name][-1]:5.1f}s {why:<28} {shown[:90]}", flush=True)
                cases.write(json.dumps({
                    "format": fmt_name, "category": category, "id": item["id"],
                    "question": question, "ok": ok, "why": why,
                    "call": None if made is None else {"name": made[0], "args": made[1]},
                    "held": held, "malformed": parsed is None,
                    "seconds": seconds[fmt_name][-1]}, ensure_ascii=False) + "\n")
                cases.flush()
    summary = {
        "cases_per_category": {c: len(v) for c, v in results[next(iter(results))].items()},
        "accuracy": {f: {c: sum(v) / len(v) for c, v in cats.items() if v}
                     for f, cats in results.items()},
        "malformed_rate": {f: malformed[f] / sum(len(v) for v in results[f].values())
                           for f in results},
        "seconds_per_case": {f: statistics.mean(s) for f, s in seconds.items() if s},
        "targets": {"simple_python": ">= 0.72", "irrelevance": ">= 0.65", "malformed": "0"},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
