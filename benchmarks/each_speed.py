"""`lamp ask --each` against one `lamp ask` per input, side by side in one run.

Scripts that answer many short inputs used to call `lamp ask` once per line;
each call loads the model and evaluates the whole prompt again. This measures
what one process saves: N short inputs answered by one `lamp ask --each`, then
the same N by N separate `lamp ask` calls, with the same model, prompt,
sampling (greedy) and token cap. The ratio is separate / each (target >= 3x).

    python benchmarks/each_speed.py --n 20 --model qwen2.5-coder-0.5b

Both sides run with a fresh LAMP_HOME (no config, no warm `lamp serve`, no
memory) so neither is helped by state the other left behind.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "Answer with the number only."


def inputs(n: int) -> list[str]:
    return [f"What is {i + 2} plus {i * 3 % 17 + 1}?" for i in range(n)]


def lamp_command() -> list[str]:
    script = Path(sys.executable).parent / "lamp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lamp.cli"]


def run(args: list[str], stdin: str, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([*lamp_command(), *args], input=stdin.encode(), capture_output=True,
                          env=env, timeout=3600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"lamp {' '.join(args)} exited {done.returncode}: "
                 f"{done.stderr.decode(errors='replace')[-500:]}")
    return seconds, done.stdout.decode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50, help="inputs (default 50)")
    parser.add_argument("--model", default="", help="preset or GGUF (default: lamp's default)")
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0, help="0: lamp's default")
    options = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="lamp-each-bench-"))
    env = {**os.environ, "LAMP_HOME": str(home), "LAMP_NO_SERVER": "1"}
    for key in ("LAMP_CONFIG", "LAMP_MODEL", "LAMP_BACKEND", "LAMP_BASE_URL"):
        env.pop(key, None)
    if "LAMP_MODELS_DIR" not in env:  # share the installed model files, not a fresh copy
        from lamp.agent.config import paths

        env["LAMP_MODELS_DIR"] = str(paths.models_dir())
    common = ["--no-memory", "--temperature", "0", "--max-tokens", str(options.max_tokens)]
    if options.model:
        common += ["--model", options.model]
    if options.threads:
        common += ["--threads", str(options.threads)]
    questions = inputs(options.n)
    try:
        each_s, each_out = run(["ask", *common, "--each", PROMPT], "\n".join(questions), env)
        answers = each_out.splitlines()
        if len(answers) != options.n:
            sys.exit(f"--each printed {len(answers)} lines for {options.n} inputs")
        separate_s, agree = 0.0, 0
        for question, answer in zip(questions, answers, strict=True):
            seconds, out = run(["ask", *common, PROMPT], question, env)
            separate_s += seconds
            agree += out.strip() == answer.strip()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    n = options.n
    print(f"inputs: {n}   model: {options.model or 'default'}   max tokens: "
          f"{options.max_tokens}")
    print(f"{'':24}{'total s':>10}{'per input s':>14}")
    print(f"{'lamp ask --each':24}{each_s:>10.2f}{each_s / n:>14.3f}")
    print(f"{'lamp ask x ' + str(n):24}{separate_s:>10.2f}{separate_s / n:>14.3f}")
    print(f"speed-up (separate / each): {separate_s / each_s:.1f}x   "
          f"same answers: {agree}/{n}")


if __name__ == "__main__":
    main()
