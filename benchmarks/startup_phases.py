"""Where a one-shot call's wall time goes: lamp ask --no-memory vs a bare llama-cpp-python
script, same model, prompt and settings, alternated, medians.

    python benchmarks/startup_phases.py --runs 7

Each process gets benchmarks/phase_site on PYTHONPATH, which stamps the model load's
start and end and the interpreter's exit. Phases: before the load (interpreter,
imports, argument parsing, settings, model-file checks), the load, the answer
(prompt, generation, output), and after exit begins (freeing the model,
interpreter shutdown). See docs/startup.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from speed import BARE, lamp_cmd

from lamp.agent.models.cores import usable_cores

SITE = str(Path(__file__).with_name("phase_site"))
PHASES = ("before_load", "load", "answer", "exit")


def phases(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = {**env, "PYTHONPATH": SITE, "PHASES_OUT": out.name}
        start = time.time()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        end = time.time()
        if proc.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed: {proc.stderr.strip()[-300:]}")
        s = json.loads(Path(out.name).read_text())
    return {"before_load": s["load_start"] - start, "load": s["load_end"] - s["load_start"],
            "answer": s["exit"] - s["load_end"], "exit": end - s["exit"], "wall": end - start}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--max-tokens", type=int, default=16)
    ap.add_argument("--prompt", default="What is the capital of France? Answer in one word.")
    args = ap.parse_args()
    model = subprocess.run([*lamp_cmd(), "models", "path"], capture_output=True, text=True,
                           check=True).stdout.strip()
    threads = str(usable_cores())
    system = "You are lamp, a helpful assistant running locally. Answer clearly and concisely."
    lamp = [*lamp_cmd(), "ask", "--no-memory", "--model", model, "--temperature", "0",
            "--repeat-penalty", "1.0", "--max-tokens", str(args.max_tokens), "--threads",
            threads, "--system", system, args.prompt]
    bare = [sys.executable, "-c", BARE, model, args.prompt, str(args.max_tokens), threads,
            system]
    env = {**os.environ, "LAMP_NO_SERVER": "1"}
    rows: dict[str, list[dict[str, float]]] = {"lamp": [], "bare": []}
    for i in range(args.runs):
        rows["lamp"].append(phases(lamp, env))
        rows["bare"].append(phases(bare, {**env, "PHASES_AMX": "1"}))
        print(f"run {i + 1}: " + " | ".join(
            f"{name} " + " ".join(f"{k} {rows[name][-1][k]:.3f}" for k in (*PHASES, "wall"))
            for name in rows), flush=True)
    med = {name: {k: statistics.median(r[k] for r in runs) for k in (*PHASES, "wall")}
           for name, runs in rows.items()}
    for k in (*PHASES, "wall"):
        print(f"{k:12s} lamp {med['lamp'][k]:.3f}s  bare {med['bare'][k]:.3f}s  "
              f"difference {med['lamp'][k] - med['bare'][k]:+.3f}s")
    print(json.dumps({"runs": args.runs, "threads": int(threads), "medians": med}))


if __name__ == "__main__":
    main()
