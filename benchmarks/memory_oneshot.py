"""One-shot `lamp ask` wall time with session memory vs `--no-memory`, side by side.

    python benchmarks/memory_oneshot.py --runs 5

Both are fresh processes on the same model, prompt and settings, interleaved.
With memory, each exchange goes to the store's journal; Chroma opens (in a
background thread behind the model load) only when something could be recalled,
so in a new session with no remembered facts it never does. The difference is
what memory costs a one-shot call. Uses a throwaway LAMP_HOME; `--facts` first
remembers one fact, so that every call opens Chroma and recalls (the worst case).
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--prompt", default="What is the capital of France? Answer in one word.")
    ap.add_argument("--facts", action="store_true",
                    help="remember a fact first: every call then opens Chroma and recalls")
    args = ap.parse_args()
    script = Path(sys.executable).parent / "lamp"
    lamp = [str(script)] if script.exists() else [sys.executable, "-m", "lamp.cli"]
    models = subprocess.run([*lamp, "models", "path"], capture_output=True, text=True,
                            check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAMP_HOME": home, "LAMP_MODELS_DIR": str(Path(models).parent)}
        common = ["--temperature", "0", "--max-tokens", "16", args.prompt]
        if args.facts:
            subprocess.run([*lamp, "memory", "remember", "My favourite city is Lyon."],
                           env=env, capture_output=True, check=True)
        times: dict[str, list[float]] = {"memory": [], "no_memory": []}
        for i in range(args.runs + 1):  # run 0 warms the page cache and creates the store
            for name, extra in (("no_memory", ["--no-memory"]), ("memory", [])):
                start = time.perf_counter()
                subprocess.run([*lamp, "ask", *extra, *common], env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, check=True)
                if i:
                    times[name].append(time.perf_counter() - start)
            if i:
                print(f"run {i}: no-memory {times['no_memory'][-1]:.3f}s  "
                      f"memory {times['memory'][-1]:.3f}s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"runs": args.runs, "facts": args.facts, "no_memory_s": med["no_memory"],
                      "memory_s": med["memory"],
                      "ratio_memory_over_no_memory": med["memory"] / med["no_memory"],
                      "extra_s": med["memory"] - med["no_memory"]}))


if __name__ == "__main__":
    main()
