"""Tool calling on BFCL (simple_python, multiple, irrelevance), both step formats, lamp's own loop.

    python benchmarks/tools_bfcl.py --data ../shared/bench-data/bfcl --limit 40

Each case is asked as `lamp ask --tools` asks it: one Runtime for the whole run
(the model loaded once), and per case a ``ToolsRequest`` answered by
``lamp.agent.app.run.answer``, whose tools are the case's functions
(bench_tools.py: their JSON schemas, lamp's tool-name rule applied, the calls
reported under the functions' own names), memory off as with `--no-memory`.
Router, step grammar, the retry after a step cut off at the token limit, the
hold on a call whose numbers the question does not give (the model is told and
has another step): all of it is the loop's, as shipped. A tool records the call
it is given and returns a short neutral observation; the run is stopped there,
or when the loop answers without tools. The first call a tool ran is scored by
AST match (bfcl_common.py); a run that answers directly made no call (right for
irrelevance). A function whose schema lamp cannot enforce (an object without
properties, a value of any type) is not offered, as an MCP server's would not be;
the summary counts them.

`--no-route` measures without the router (`lamp ask --route off`). The old
`--no-value-check` went: the shipped loop always checks the values of a call.

Prints a line per case and a final JSON summary: accuracy per category and
format, and the rate of malformed steps (target 0%: the grammar should make them
impossible). --cases writes one JSON line per case with the calls in full.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any, TextIO

from bench_backend import bench_runtime
from bench_tools import CaseTools, Function, watch
from bfcl_common import score_call, to_json_schema

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import Given, ToolsRequest
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Runtime
from lamp.agent.app.tools import tool_routing
from lamp.agent.react.answer import ToolOptions

CATEGORIES = ("simple_python", "multiple", "irrelevance")
OBSERVATION = "Done."  # what every call returns: the run is stopped right after it
NO_MEMORY = MemoryChoice(disabled=True)  # `--no-memory`: cases must not recall each other


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
                    help="also write one JSON line per case here (the calls in full)")
    ap.add_argument("--no-route", action="store_true",
                    help="no router before the first step (lamp ask --route off)")
    args = ap.parse_args()

    source = CaseTools()
    rt, model = bench_runtime(args.model, tool_source=source)
    route = tool_routing("off" if args.no_route else "auto", rt.settings)
    print(f"model {model.name}, router {'on' if route else 'off'}", flush=True)
    try:
        with (args.cases or Path(os.devnull)).open("w", encoding="utf-8") as cases:
            _run(args, rt, source, route, cases)
    finally:
        rt.close()


def _items(args: argparse.Namespace, category: str) -> list[dict[str, Any]]:
    lines = (args.data / f"{category}.jsonl").read_text().splitlines()
    items = [json.loads(x) for x in lines if x.strip()][args.start:]
    items = items[: args.limit] if args.limit else items
    if args.ids:
        items = [item for item in items if item["id"] in args.ids.split(",")]
    return items


def _run(args: argparse.Namespace, rt: Runtime, source: CaseTools, route: bool,
         cases: TextIO) -> None:
    results: dict[str, dict[str, list[bool]]] = {}
    unusable: set[str] = set()  # "case: function: why"
    malformed: dict[str, int] = {}
    seconds: dict[str, list[float]] = {}
    for fmt in args.formats.split(","):
        results[fmt], malformed[fmt], seconds[fmt] = {}, 0, []
        for category in args.categories.split(","):
            results[fmt][category] = []
            for item in _items(args, category):
                calls: list[tuple[str, dict[str, Any]]] = []

                def record(name: str, call_args: dict[str, Any],
                           calls: list[tuple[str, dict[str, Any]]] = calls) -> str:
                    calls.append((name, call_args))
                    return OBSERVATION

                names = source.use([Function(f["name"], f.get("description", ""),
                                             to_json_schema(f["parameters"]))
                                    for f in item["function"]], record)
                unusable |= {f"{item['id']}: {why}" for why in source.unusable}
                question = "\n".join(m["content"] for m in item["question"][0]
                                     if m["role"] == "user")
                started = time.perf_counter()
                seen = None
                if names:  # no function lamp can offer: nothing to call
                    request = ToolsRequest(
                        Given(prompt=question),
                        tools=ToolOptions(tools=",".join(names), tool_format=fmt, route=route),
                        approve=lambda request: True, memory=NO_MEMORY)
                    seen = watch(answer(request, rt), source, calls)
                seconds[fmt].append(time.perf_counter() - started)
                made = seen.ran if seen is not None else None
                malformed[fmt] += seen.malformed if seen is not None else 0
                ok, why = score_call(made, item.get("ground_truth"))
                results[fmt][category].append(ok)
                shown = (f"{made[0]}({json.dumps(made[1])})" if made else
                         "no call" + (f", {seen.not_run} held" if seen and seen.not_run else ""))
                print(f"{fmt:<6} {category:<13} {item['id']:<22} {'ok ' if ok else 'BAD'} "
                      f"{seconds[fmt][-1]:5.1f}s {why:<28} {shown[:90]}", flush=True)
                cases.write(json.dumps({
                    "format": fmt, "category": category, "id": item["id"],
                    "question": question, "ok": ok, "why": why,
                    "call": None if made is None else {"name": made[0], "args": made[1]},
                    "proposed": [{"name": n, "args": a} for n, a in
                                 (seen.proposed if seen else [])],
                    "held": seen.not_run if seen else 0,
                    "malformed": seen.malformed if seen else 0,
                    "unusable": source.unusable,
                    "seconds": seconds[fmt][-1]}, ensure_ascii=False) + "\n")
                cases.flush()
    summary = {
        "cases_per_category": {c: len(v) for c, v in results[next(iter(results))].items()},
        "accuracy": {f: {c: sum(v) / len(v) for c, v in cats.items() if v}
                     for f, cats in results.items()},
        "malformed_rate": {f: malformed[f] / max(1, sum(len(v) for v in results[f].values()))
                           for f in results},
        "seconds_per_case": {f: statistics.mean(s) for f, s in seconds.items() if s},
        "functions_not_offered": sorted(unusable),  # schemas lamp cannot enforce
        "targets": {"simple_python": ">= 0.72", "irrelevance": ">= 0.65", "malformed": "0"},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
