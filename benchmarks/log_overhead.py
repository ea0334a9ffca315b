"""One-shot `lamp ask` wall time with the run log on vs `--no-log`, side by side.

    python benchmarks/log_overhead.py --runs 15

Both are fresh processes of the installed `lamp` on the real default model, the
same short prompt, greedy, capped at 16 tokens, interleaved (log off, log on)
so a slower minute hits both. With the log on, the command writes its run
after the answer is out: import sqlite3, open the file, one transaction, close.
The ratio of the medians is what the log costs a one-shot call (target: at most
1.02). Uses a throwaway LAMP_HOME; run 0 warms the page cache and creates the
log file, and is not counted. `--no-memory` on both, so memory does not add
its own noise.
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
    args = ap.parse_args()
    script = Path(sys.executable).parent / "lamp"
    lamp = [str(script)] if script.exists() else [sys.executable, "-m", "lamp.cli"]
    models = subprocess.run([*lamp, "models", "path"], capture_output=True, text=True,
                            check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAMP_HOME": home, "LAMP_MODELS_DIR": str(Path(models).parent),
               "LAMP_NO_SERVER": "1"}
        env.pop("LAMP_LOG", None)
        common = ["--no-memory", "--temperature", "0", "--max-tokens", "16", args.prompt]
        times: dict[str, list[float]] = {"log_off": [], "log_on": []}
        for i in range(args.runs + 1):
            for name, extra in (("log_off", ["--no-log"]), ("log_on", [])):
                start = time.perf_counter()
                subprocess.run([*lamp, "ask", *extra, *common], env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, check=True)
                if i:
                    times[name].append(time.perf_counter() - start)
            if i:
                print(f"run {i}: log off {times['log_off'][-1]:.3f}s  "
                      f"log on {times['log_on'][-1]:.3f}s", flush=True)
        logged = subprocess.run([*lamp, "logs", "--json", "-n", "1000"], env=env,
                                capture_output=True, text=True, check=True).stdout
    med = {k: statistics.median(v) for k, v in times.items()}
    # Each pair ran back to back, so the median of the pairs' differences is less exposed
    # to a slow minute than the difference of the medians.
    paired = statistics.median(on - off for on, off in zip(times["log_on"], times["log_off"],
                                                                  strict=True))
    print(json.dumps({"runs": args.runs, "log_off_s": round(med["log_off"], 4),
                      "log_on_s": round(med["log_on"], 4),
                      "ratio_on_over_off": round(med["log_on"] / med["log_off"], 4),
                      "extra_ms": round((med["log_on"] - med["log_off"]) * 1000, 1),
                      "paired_extra_ms": round(paired * 1000, 1),
                      "paired_ratio": round((med["log_off"] + paired) / med["log_off"], 4),
                      "runs_logged": len(json.loads(logged))}))


if __name__ == "__main__":
    main()
