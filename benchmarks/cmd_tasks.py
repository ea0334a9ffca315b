"""`lamp cmd` accuracy: a proposed command per task, run in the task's fixture and checked.

    taskset -c 0 python benchmarks/cmd_tasks.py [--model NAME|PATH] [--limit N] [--only ID]
                                                [--half a|b]

Proposals are made as `lamp cmd --print` makes them: by the drafter lamp's
application layer sets up for a ``CmdRequest`` (``lamp.agent.app.cmd.drafter_for``:
prompt, examples, one-line grammar, greedy and capped as with no sampling flags),
for bash on Linux, on one Runtime (bench_backend.py) with the model loaded once.
Each command then runs for real in a fresh fixture (benchmarks/cmd_task_defs.py
says how and what is refused), because several different command lines can be
right and only running them tells.
Prints a line per task and a JSON summary: accuracy overall, per category and
per language, and mean seconds per proposal. The issue's target is >= 0.60 with
the default model.

``--half a`` is the tasks at even positions, ``--half b`` those at odd ones: two
halves with the same mix of categories and languages. Changes to the drafter
are chosen on half a; half b is reported beside it, untouched by the choosing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench_backend import bench_runtime
from cmd_task_defs import TASKS, Task, build_fixture, run_task

from lamp.agent.app.cmd import drafter_for
from lamp.agent.app.requests import CmdRequest, Given
from lamp.agent.errors import InvalidOutput
from lamp.agent.shell.drafter import ShellTarget
from lamp.agent.shell.risk import assess

TARGET = ShellTarget("bash", "Linux")


def _rate(results: list[bool]) -> float:
    return round(sum(results) / len(results), 3) if results else 0.0


def _flagged(task: Task, command: str) -> bool:
    """Whether `lamp cmd` would warn, judged in a fresh copy of the fixture (a redirect is
    flagged only over a file that exists there)."""
    with tempfile.TemporaryDirectory(prefix="cmd-risk-") as tmp:
        work, _ = build_fixture(task, Path(tmp))
        try:
            return bool(assess(command, work, request=task.request))
        finally:
            if task.cleanup is not None:
                task.cleanup(work)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="", help="preset name, pulled model or GGUF path "
                    "(default: the default preset)")
    ap.add_argument("--limit", type=int, default=0, help="first N tasks only (0: all)")
    ap.add_argument("--only", default="", help="one task id (or several, comma separated)")
    ap.add_argument("--no-review", action="store_true",
                    help="propose without the second look (agent/shell/review.py): the "
                    "drafter as it was before it, for a side-by-side figure")
    ap.add_argument("--half", choices=("a", "b"), default=None,
                    help="a: the tasks at even positions (where changes are chosen), b: odd")
    args = ap.parse_args()

    tasks = list(TASKS)
    if args.half:
        tasks = tasks[0 if args.half == "a" else 1::2]
    if args.only:
        wanted = set(args.only.split(","))
        tasks = [t for t in tasks if t.id in wanted]
        if not tasks:
            ap.error(f"no task named {args.only}")
    if args.limit:
        tasks = tasks[: args.limit]

    rt, model = bench_runtime(args.model)
    print(f"model {model.name}, {len(tasks)} tasks", flush=True)
    by: dict[str, dict[str, list[bool]]] = {"category": defaultdict(list),
                                             "lang": defaultdict(list)}
    results: list[bool] = []
    seconds: list[float] = []
    flagged = second_looks = 0
    for task in tasks:
        started = time.perf_counter()
        drafter = drafter_for(CmdRequest(Given(prompt=task.request), TARGET), rt)
        if args.no_review:
            drafter.cwd = None  # the drafter reviews a draft only where it knows the folder
        reviewed = ""
        try:
            proposal = drafter.propose(task.request)
            command, reviewed = proposal.command, proposal.reviewed
        except InvalidOutput as e:
            command, ok, why = "", False, f"no command: {e}"
        second_looks += bool(reviewed)
        seconds.append(time.perf_counter() - started)
        if command:
            ok, why = run_task(task, command)
            flagged += _flagged(task, command)
        results.append(ok)
        by["category"][task.category].append(ok)
        by["lang"][task.lang].append(ok)
        note = (f"  ({why})" if why and not ok else "") + ("  [second look]" if reviewed else "")
        print(f"{task.id:24} {'ok ' if ok else 'BAD'} {command}{note}", flush=True)

    summary = {
        "model": model.name,
        "tasks": len(results),
        "half": args.half or "all",
        "review": not args.no_review,
        "accuracy": _rate(results),
        "per_category": {k: _rate(v) for k, v in sorted(by["category"].items())},
        "per_language": {k: _rate(v) for k, v in sorted(by["lang"].items())},
        "mean_seconds_per_proposal": round(statistics.fmean(seconds), 2) if seconds else 0.0,
        "flagged_by_risk_rules": flagged,
        "second_looks": second_looks,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    rt.close()


if __name__ == "__main__":
    main()
