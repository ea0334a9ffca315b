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
run is stopped as soon as the decision shows: the loop says it answers without
tools (`direct`), or its first step comes (`tool`; nothing is run). The router's
fixed instructions and examples come from a prefix cache, as in `lamp ask`. A
`tool` decision takes two questions (is a tool needed; does a listed one fit),
and its seconds include the first step. Prints one line per wrong decision and a
JSON summary: the share of right decisions per set and language, and seconds per
decision.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from bench_backend import bench_runtime
from bench_tools import CaseTools, Function, watch
from bfcl_common import to_json_schema

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import Given, ToolsRequest
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Runtime
from lamp.agent.react.answer import ToolOptions

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


def routes_to_tool(rt: Runtime, source: CaseTools, question: str,
                   functions: list[Function] | None) -> bool:
    """Whether the loop, asked ``question``, goes on to a step with ``functions`` (None:
    lamp's default tools) instead of answering without tools."""
    names = "default"
    if functions is not None:
        names = ",".join(source.use(functions, lambda name, args: "Done."))
        if not names:  # no function lamp can offer: nothing to route to
            return False
    request = ToolsRequest(Given(prompt=question), tools=ToolOptions(tools=names),
                           memory=NO_MEMORY)
    seen = watch(answer(request, rt), source, [], until="step")
    return not seen.without_tools


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bfcl", required=True, type=Path, help="the bfcl folder")
    ap.add_argument("--limit", type=int, default=0,
                    help="BFCL cases per category (0: all); the local sets run whole")
    ap.add_argument("--model", default="")
    ap.add_argument("--sets", default="",
                    help="comma-separated set names to run, in that order (default: all)")
    args = ap.parse_args()

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
    summary: dict[str, object] = {"model": model.name}
    seconds: list[float] = []
    for name, (want_tool, items) in sets.items():
        right: dict[str, list[bool]] = {}
        for item_id, lang, question, specs in items:
            started = time.perf_counter()
            tool = routes_to_tool(rt, source, question, specs)
            seconds.append(time.perf_counter() - started)
            ok = tool == want_tool
            right.setdefault(lang, []).append(ok)
            if not ok:
                print(f"  {name} {item_id}: routed {'tool' if tool else 'direct'}: "
                      f"{question[:90]!r}", flush=True)
        every = [x for values in right.values() for x in values]
        summary[name] = {"right": round(sum(every) / len(every), 3), "items": len(every),
                         **({f"right_{lang}": round(sum(v) / len(v), 3)
                             for lang, v in right.items()} if len(right) > 1 else {})}
        print(f"{name}: {summary[name]}", flush=True)
    summary["seconds_per_decision"] = round(statistics.mean(seconds), 3)
    rt.close()
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
