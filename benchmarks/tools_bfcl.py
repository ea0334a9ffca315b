"""Tool calling on BFCL (simple_python, multiple, irrelevance), both step formats, one step each.

    python benchmarks/tools_bfcl.py --data ../shared/bench-data/bfcl --limit 40

Each case is the router's decision and one agent step generated exactly as
`lamp ask --tools` does them (same router, format code and grammar, greedy), then
scored by AST match; `--no-route` measures without the router (as before issue 11). Prints a
line per case and a final JSON summary: accuracy per category and format, and
the rate of malformed steps (target 0%: the grammar should make them impossible).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

from bfcl_common import score_call, to_json_schema

from lamp.agent.formats import Action, Final, ToolSpec, get_format
from lamp.agent.models import Sampling
from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions
from lamp.agent.models.model_store import ensure_default_model, model_sha256
from lamp.agent.models.prefix_cache import PrefixCache
from lamp.agent.react import DEFAULT_SYSTEM
from lamp.agent.route import needs_tool
from lamp.cli import paths

CATEGORIES = ("simple_python", "multiple", "irrelevance")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="the bfcl folder")
    ap.add_argument("--limit", type=int, default=0, help="cases per category (0: all)")
    ap.add_argument("--start", type=int, default=0,
                    help="skip this many cases of each category first (to split a run)")
    ap.add_argument("--formats", default="react,native")
    ap.add_argument("--categories", default=",".join(CATEGORIES))
    ap.add_argument("--model", default="")
    ap.add_argument("--cases", type=Path, default=None,
                    help="also write one JSON line per case here (the call in full)")
    ap.add_argument("--no-route", action="store_true",
                    help="no router before the step (as before issue 11)")
    args = ap.parse_args()

    model = Path(args.model) if args.model else ensure_default_model(paths.models_dir())
    # The router's fixed instructions and worked cases come from a prefix cache, as in
    # `lamp ask`; without it every case would read them again.
    scratch = tempfile.TemporaryDirectory(prefix="lamp-bench-")
    backend = LlamaCppBackend(LlamaOptions(
        model, n_ctx=4096, prefix_cache=PrefixCache(Path(scratch.name)),
        model_sha256=partial(model_sha256, model, paths.cache_dir())))
    print(f"model {model.name}, router {'off' if args.no_route else 'on'}", flush=True)
    sampling = Sampling(temperature=0, max_tokens=384, repeat_penalty=1.0)
    cases = args.cases.open("w", encoding="utf-8") if args.cases else None
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
                if not routed or needs_tool(backend, question, specs, sampling).tool:
                    text = "".join(c.text for c in backend.stream_chat(
                        messages, sampling,
                        fmt.grammar(specs, special=backend.special_token_rule,
                                    call_only=routed), tool_defs))
                    parsed = fmt.parse(text)
                else:
                    parsed = Final("(routed: no tool needed)")
                seconds[fmt_name].append(time.perf_counter() - started)
                if parsed is None:
                    malformed[fmt_name] += 1
                call = (parsed.tool, parsed.args) if isinstance(parsed, Action) else None
                ok, why = score_call(call, item.get("ground_truth"))
                results[fmt_name][category].append(ok)
                shown = "final" if isinstance(parsed, Final) else (
                    "MALFORMED" if parsed is None else f"{call[0]}({json.dumps(call[1])})")
                print(f"{fmt_name:<6} {category:<13} {item['id']:<22} {'ok ' if ok else 'BAD'} "
                      f"{seconds[fmt_name][-1]:5.1f}s {why:<28} {shown[:90]}", flush=True)
                if cases:
                    cases.write(json.dumps({
                        "format": fmt_name, "category": category, "id": item["id"],
                        "question": question, "ok": ok, "why": why,
                        "call": None if call is None else {"name": call[0], "args": call[1]},
                        "malformed": parsed is None, "seconds": seconds[fmt_name][-1]},
                        ensure_ascii=False) + "\n")
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
