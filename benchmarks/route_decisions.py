"""The router's decision alone: does the question need one of the tools offered?

    python benchmarks/route_decisions.py --bfcl ../shared/bench-data/bfcl --limit 30

Before the first agent step `lamp ask --tools` asks the model whether a listed tool
is needed (agent/react/route.py). This measures that one decision, without the step that
follows, on four sets whose right answer is known:

- BFCL simple_python and multiple: a listed function fits; the right route is `tool`.
- BFCL irrelevance: no listed function fits; the right route is `direct`.
- benchmarks/data/plain_questions.jsonl with lamp's default tools: `direct`.
- benchmarks/data/tool_questions.jsonl with lamp's default tools (exact arithmetic,
  code, dates, files): `tool`.

Each question is asked as `lamp ask --tools ... --no-memory` asks it (a
``ToolsRequest`` through ``lamp.agent.app.run.answer`` on one Runtime,
bench_backend.py; BFCL's functions handed to it as in tools_bfcl.py), and the
run is stopped at the loop's ``Routed`` event, before any step. The router's
fixed instructions and examples come from a prefix cache, as in `lamp ask`. A
`tool` decision takes two questions (is a tool needed; does a listed one fit).
Prints one line per wrong decision and a JSON summary: the share of right
decisions per set, per language and per half (a: the 1st, 3rd, ... item of a
set; b: the others), and seconds per decision.

With ``--leans`` the router's bar is set to 0 (``ToolOptions.route_from``), so
both questions are asked for every item and both leans recorded; the summary
then gives, for each bar in ``--bars``, the share of right decisions per set and
half and the mean over the sets per half: the table the shipped bar was chosen
from (on half a). ``--cases FILE`` writes each item's leans and decision.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_backend import bench_runtime
from bench_tools import CaseTools, Function, watch
from bfcl_common import to_json_schema

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import Given, ToolsRequest
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Runtime
from lamp.agent.events import Routed
from lamp.agent.react.answer import ToolOptions
from lamp.agent.react.route import TOOL_FROM, leans_reach

HERE = Path(__file__).parent / "data"


Item = tuple[str, str, str, list[Function] | None]  # id, language, question, tools (None:
#                                                     lamp's default tools)
NO_MEMORY = MemoryChoice(disabled=True)


def _bfcl(folder: Path, category: str, limit: int) -> list[Item]:
    lines = (folder / f"{category}.jsonl").read_text().splitlines()
    items = [json.loads(x) for x in lines if x.strip()][: limit or None]
    out = []
    for item in items:
        specs = [Function(f["name"], f.get("description", ""), to_json_schema(f["parameters"]))
                 for f in item["function"]]
        question = "\n".join(m["content"] for m in item["question"][0] if m["role"] == "user")
        out.append((item["id"], "en", question, specs))
    return out


def _local(path: Path) -> list[Item]:
    items = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return [(i["id"], i["lang"], i["question"], None) for i in items]


def route_of(rt: Runtime, source: CaseTools, question: str,
             functions: list[Function] | None, route_from: float = TOOL_FROM) -> Routed | None:
    """The router's decision on ``question`` with ``functions`` (None: lamp's default
    tools) at the bar ``route_from``; None when no function could be offered, so there
    was nothing to route to."""
    names = "default"
    if functions is not None:
        names = ",".join(source.use(functions, lambda name, args: "Done."))
        if not names:
            return None
    request = ToolsRequest(Given(prompt=question),
                           tools=ToolOptions(tools=names, route_from=route_from),
                           memory=NO_MEMORY)
    return watch(answer(request, rt), source, [], until="route").routed


def decide(leans: Sequence[float], bar: float) -> bool:
    """The router's rule at ``bar`` from both recorded leans; an item with fewer (no
    function could be offered) was never routed to a tool."""
    return len(leans) == 2 and leans_reach(leans[0], leans[1], bar)


def bar_table(rows: list[dict[str, Any]], bars: Sequence[float]) -> dict[str, Any]:
    """For each bar: the share of right decisions per set and half, and the mean over
    the sets per half (each set weighs the same, however many items it has)."""
    table: dict[str, Any] = {}
    sets = list(dict.fromkeys(r["set"] for r in rows))
    for bar in bars:
        entry: dict[str, Any] = {}
        for half in ("a", "b"):
            shares = {}
            for name in sets:
                mine = [r for r in rows if r["set"] == name and r["half"] == half]
                if mine:
                    shares[name] = round(sum(decide(r["leans"], bar) == r["want_tool"]
                                             for r in mine) / len(mine), 3)
            entry[half] = {**shares, "mean": round(statistics.mean(shares.values()), 3)}
        table[f"{bar:g}"] = entry
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bfcl", required=True, type=Path, help="the bfcl folder")
    ap.add_argument("--limit", type=int, default=0,
                    help="BFCL cases per category (0: all); the local sets run whole")
    ap.add_argument("--model", default="")
    ap.add_argument("--sets", default="",
                    help="comma-separated set names to run, in that order (default: all)")
    ap.add_argument("--leans", action="store_true",
                    help="ask both router questions for every item and tabulate bars")
    ap.add_argument("--bars", default="0.3,0.4,0.45,0.5,0.55,0.6,0.7,0.8",
                    help="with --leans: the bars to tabulate")
    ap.add_argument("--cases", type=Path, help="write one JSON line per item here")
    args = ap.parse_args()
    try:
        bars = [float(b) for b in args.bars.split(",") if b.strip()]
    except ValueError:
        ap.error(f"--bars takes numbers separated by commas, not {args.bars!r}")

    source = CaseTools()
    rt, model = bench_runtime(args.model, tool_source=source)
    sets = {
        "bfcl_simple": (True, _bfcl(args.bfcl, "simple_python", args.limit)),
        "bfcl_multiple": (True, _bfcl(args.bfcl, "multiple", args.limit)),
        "bfcl_irrelevance": (False, _bfcl(args.bfcl, "irrelevance", args.limit)),
        "plain_questions": (False, _local(HERE / "plain_questions.jsonl")),
        "tool_questions": (True, _local(HERE / "tool_questions.jsonl")),
    }
    if args.sets:
        unknown = [name for name in args.sets.split(",") if name not in sets]
        if unknown:
            ap.error(f"unknown set {unknown[0]!r}; sets: {', '.join(sets)}")
        sets = {name: sets[name] for name in args.sets.split(",")}
    print(f"model {model.name}", flush=True)
    summary: dict[str, object] = {"model": model.name,
                                  "route_from": 0.0 if args.leans else TOOL_FROM}
    seconds: list[float] = []
    rows: list[dict[str, Any]] = []
    cases = args.cases.open("w") if args.cases else None
    for name, (want_tool, items) in sets.items():
        right: dict[str, list[bool]] = {}
        by_half: dict[str, list[bool]] = {}
        for position, (item_id, lang, question, specs) in enumerate(items):
            started = time.perf_counter()
            routed = route_of(rt, source, question, specs, 0.0 if args.leans else TOOL_FROM)
            seconds.append(time.perf_counter() - started)
            leans = list(routed.leans) if routed else []
            tool = decide(leans, TOOL_FROM) if args.leans else bool(routed and routed.tool)
            row = {"set": name, "id": item_id, "lang": lang, "half": "ab"[position % 2],
                   "want_tool": want_tool, "tool": tool, "leans": leans}
            rows.append(row)
            if cases:
                cases.write(json.dumps(row, ensure_ascii=False) + "\n")
                cases.flush()
            right.setdefault(lang, []).append(tool == want_tool)
            by_half.setdefault(row["half"], []).append(tool == want_tool)
            if tool != want_tool:
                print(f"  {name} {item_id}: routed {'tool' if tool else 'direct'} "
                      f"{leans}: {question[:90]!r}", flush=True)
        every = [x for values in right.values() for x in values]
        halves = {f"right_{half}": round(sum(v) / len(v), 3) for half, v in by_half.items()}
        summary[name] = {"right": round(sum(every) / len(every), 3), "items": len(every),
                         **halves,
                         **({f"right_{lang}": round(sum(v) / len(v), 3)
                             for lang, v in right.items()} if len(right) > 1 else {})}
        print(f"{name}: {summary[name]}", flush=True)
    summary["seconds_per_decision"] = round(statistics.mean(seconds), 3)
    if args.leans:
        summary["bars"] = bar_table(rows, bars)
    if cases:
        cases.close()
    rt.close()
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
