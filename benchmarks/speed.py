"""lamp vs a bare llama-cpp-python script: one-shot wall time, time to first token, tokens/s.

Both run as fresh processes, interleaved, on the same model, prompt and
settings (greedy, same repeat penalty, all cores), so machine noise hits both
alike. Prints each pair with its ratio and a final JSON summary line.

    python benchmarks/speed.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lamp.agent.models.cores import usable_cores

BARE = r"""
import json, sys, time
from llama_cpp import Llama
model, prompt, max_tokens, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
llm = Llama(model_path=model, n_ctx=4096, n_threads=threads, n_threads_batch=threads,
            verbose=False)
messages = [{"role": "system", "content": sys.argv[5]}, {"role": "user", "content": prompt}]
start = time.perf_counter(); first = None; pieces = []
for chunk in llm.create_chat_completion(messages, temperature=0, repeat_penalty=1.0,
                                        max_tokens=max_tokens, stream=True):
    text = chunk["choices"][0]["delta"].get("content")
    if text:
        if first is None:
            first = time.perf_counter() - start
        pieces.append(text)
        sys.stdout.write(text); sys.stdout.flush()
total = time.perf_counter() - start
answer = "".join(pieces)
n = len(llm.tokenize(answer.encode(), add_bos=False, special=False))
sys.stdout.write("\n")
print(json.dumps({"first_token_s": first, "generation_s": total, "completion_tokens": n,
                  "answer": answer}), file=sys.stderr)
"""


def lamp_cmd() -> list[str]:
    script = Path(sys.executable).parent / "lamp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lamp.cli"]


# Third-party llama-cpp-python programs (the bare script, llm-gguf) get the AMX workaround
# lamp applies to itself through this site directory (see its sitecustomize).
AMX_SITE = {**os.environ, "PYTHONPATH": str(Path(__file__).with_name("amx_site"))}


def timed(cmd: list[str], env: dict[str, str] | None = None
          ) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {cmd[:3]}...: {proc.stderr.strip()}")
    return wall, proc


def tokens_per_s(n: int, first: float, total: float) -> float:
    return (n - 1) / (total - first) if n > 1 and total > first else 0.0


def prefix_cache_pair(runs: int) -> dict[str, float]:
    """`lamp ask --tools` time to first token of step 1, prefix cache empty vs filled."""
    import tempfile

    question = "What is 17 * 23?"
    empty, filled = [], []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAMP_HOME": home,
               "LAMP_MODELS_DIR": str(Path(subprocess.run(
                   [*lamp_cmd(), "models", "path"], capture_output=True, text=True,
                   check=True).stdout.strip()).parent)}
        cmd = [*lamp_cmd(), "ask", "--no-memory", "--tools", "default", "--json", question]
        for i in range(runs):
            for bucket, clear in ((empty, True), (filled, False)):
                if clear:
                    subprocess.run([*lamp_cmd(), "cache", "clear"], env=env, check=True,
                                   capture_output=True)
                out = subprocess.run(cmd, env=env, capture_output=True, text=True,
                                     stdin=subprocess.DEVNULL)
                steps = json.loads(out.stdout.splitlines()[0])["steps"]
                # Time to first token of the run: the fixed prefix (computed or loaded)
                # plus the first step's own wait for its first token.
                bucket.append(steps[0].get("prefix_s", 0.0) + steps[0]["first_token_s"])
            print(f"prefix run {i + 1}: step-1 first token, cache empty {empty[-1]:.3f}s "
                  f"filled {filled[-1]:.3f}s", flush=True)
    e, f = statistics.median(empty), statistics.median(filled)
    return {"empty": e, "filled": f, "ratio_filled_over_empty": f / e, "target": "<= 0.3"}


def llm_pairs(runs: int, model: str, prompt: str, max_tokens: int) -> dict[str, object] | None:
    """Default `lamp ask` (memory on) vs `llm` + `llm-gguf` (logging on, its default), and
    `lamp ask --no-memory` vs `llm --no-log`: same GGUF file, prompt and token cap, each
    pair alternated. None (and a message) when `llm` is not installed."""
    import tempfile

    llm = os.environ.get("LLM_BIN") or shutil.which("llm") or str(
        Path(sys.executable).parent / "llm")
    if not Path(llm).exists():
        print("llm not installed: skipping the llm comparison (pip install llm llm-gguf)",
              flush=True)
        return None
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAMP_HOME": str(Path(home) / "lamp"),
               "LLM_USER_PATH": str(Path(home) / "llm"), "LAMP_NO_SERVER": "1",
               "LAMP_MODELS_DIR": str(Path(model).parent)}
        llm_env = {**env, "PYTHONPATH": AMX_SITE["PYTHONPATH"]}
        subprocess.run([llm, "gguf", "register-model", "lampbench", model], env=llm_env,
                       check=True, capture_output=True)
        lamp_ask = [*lamp_cmd(), "ask", "--model", model, "--temperature", "0",
                    "--max-tokens", str(max_tokens)]
        # llm-gguf 0.2 takes no options (no temperature, no token cap): compare on a
        # prompt whose answer is short.
        llm_ask = [llm, "-m", "gguf/lampbench"]
        pairs = {"logging_on": ([*lamp_ask, prompt], [*llm_ask, prompt]),
                 "logging_off": ([*lamp_ask, "--no-memory", prompt], [*llm_ask, "-n", prompt])}
        times: dict[str, dict[str, list[float]]] = {k: {"lamp": [], "llm": []} for k in pairs}
        for i in range(runs + 1):  # run 0 creates both logs / stores and warms the page cache
            for name, (a, b) in pairs.items():
                for who, cmd, e in (("lamp", a, env), ("llm", b, llm_env)):
                    start = time.perf_counter()
                    subprocess.run(cmd, env=e, capture_output=True, check=True,
                                   stdin=subprocess.DEVNULL)
                    if i:
                        times[name][who].append(time.perf_counter() - start)
            if i:
                print(f"llm run {i}: " + ", ".join(
                    f"{n} lamp {t['lamp'][-1]:.3f}s llm {t['llm'][-1]:.3f}s"
                    for n, t in times.items()), flush=True)
    out: dict[str, object] = {}
    for name, t in times.items():
        lamp_s, llm_s = statistics.median(t["lamp"]), statistics.median(t["llm"])
        out[name] = {"lamp": lamp_s, "llm": llm_s, "ratio_lamp_over_llm": lamp_s / llm_s}
    out["target"] = "logging_on ratio <= 0.85"
    return out


def shell_loop(questions: list[str], env: dict[str, str]) -> float:
    """Seconds for a bash loop of one-shot `lamp ask` calls, as a script would make them."""
    script = "; ".join(f"lamp ask --temperature 0 --max-tokens 8 {json.dumps(q)} >/dev/null"
                       for q in questions)
    path = f"{Path(lamp_cmd()[0]).parent}:{os.environ['PATH']}"
    start = time.perf_counter()
    subprocess.run(["bash", "-c", script], env={**env, "PATH": path}, check=True,
                   stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def auto_serve_loop(env: dict[str, str], questions: list[str]) -> float:
    """The loop with `auto_serve` on and no server running (its first call starts one);
    the server is stopped, and gone, before this returns."""
    try:
        seconds = shell_loop(questions, {**env, "LAMP_AUTO_SERVE": "60"})
        print(f"{len(questions)} questions in a shell loop, auto_serve: {seconds:.1f}s",
              flush=True)
    finally:
        status = subprocess.run([*lamp_cmd(), "serve", "--status"], env=env,
                                capture_output=True, text=True)
        subprocess.run([*lamp_cmd(), "serve", "--stop"], env=env, capture_output=True)
        if status.returncode == 0:
            pid = json.loads(status.stdout)["pid"]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.2)  # it indexes its journals on the way out
    return seconds


def serve_pairs(runs: int, loop_questions: int) -> dict[str, object]:
    """Cold (no server) vs warm (`lamp serve`) one-shot calls, default settings (memory on)."""
    import tempfile

    question = "What is the capital of Italy? One word."
    loop = [f"What is {i} + {i + 1}? Answer with the number." for i in range(loop_questions)]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAMP_HOME": home,
               "LAMP_MODELS_DIR": str(Path(subprocess.run(
                   [*lamp_cmd(), "models", "path"], capture_output=True, text=True,
                   check=True).stdout.strip()).parent)}
        cold_env = {**env, "LAMP_NO_SERVER": "1"}
        ask = [*lamp_cmd(), "ask", "--temperature", "0", "--max-tokens", "8"]
        subprocess.run([*ask, question], env=cold_env, capture_output=True, check=True,
                       stdin=subprocess.DEVNULL)  # creates the memory store once
        loops = {"auto_serve": auto_serve_loop(env, loop)}
        subprocess.run([*lamp_cmd(), "serve", "--detach", "--idle-timeout", "600"], env=env,
                       check=True, capture_output=True)
        try:
            cold, warm = [], []
            for i in range(runs):
                for bucket, e in ((cold, cold_env), (warm, env)):
                    start = time.perf_counter()
                    subprocess.run([*ask, question], env=e, capture_output=True, check=True,
                                   stdin=subprocess.DEVNULL)
                    bucket.append(time.perf_counter() - start)
                print(f"serve run {i + 1}: cold {cold[-1]:.3f}s warm {warm[-1]:.3f}s", flush=True)
            for name, e in (("without_serve", cold_env), ("with_serve", env)):
                loops[name] = shell_loop(loop, e)
                print(f"{loop_questions} questions in a shell loop, {name}: "
                      f"{loops[name]:.1f}s", flush=True)
        finally:
            subprocess.run([*lamp_cmd(), "serve", "--stop"], env=env, capture_output=True)
    c, w = statistics.median(cold), statistics.median(warm)
    return {"one_shot_cold_s": c, "one_shot_warm_s": w, "ratio_warm_over_cold": w / c,
            "target": "<= 0.25", "loop_questions": loop_questions, **{
                f"loop_{k}_s": v for k, v in loops.items()},
            "loop_ratio_with_over_without": loops["with_serve"] / loops["without_serve"],
            "loop_ratio_auto_over_without": loops["auto_serve"] / loops["without_serve"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--prompt", default="Explain in one paragraph what a hash table is.")
    ap.add_argument("--model", default="", help="GGUF file (default: lamp's default model)")
    ap.add_argument("--serve-runs", type=int, default=5,
                    help="runs of the cold vs warm (lamp serve) pair (0: skip)")
    ap.add_argument("--loop-questions", type=int, default=20)
    ap.add_argument("--llm-runs", type=int, default=5,
                    help="runs of the lamp vs llm + llm-gguf pairs (0: skip; skipped with a "
                    "message when llm is not installed)")
    ap.add_argument("--prefix-runs", type=int, default=5,
                    help="runs of the tool-enabled empty vs filled prefix cache pair (0: skip)")
    args = ap.parse_args()

    model = (
        args.model
        or subprocess.run(
            [*lamp_cmd(), "models", "path"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    threads = usable_cores()
    system = "You are lamp, a helpful assistant running locally. Answer clearly and concisely."
    # --no-memory: the bare script keeps no session memory either
    # (benchmarks/memory_oneshot.py measures what memory adds).
    common = [
        "--no-memory",
        "--model",
        model,
        "--temperature",
        "0",
        "--repeat-penalty",
        "1.0",
        "--max-tokens",
        str(args.max_tokens),
        "--threads",
        str(threads),
        "--system",
        system,
    ]
    bare = [
        sys.executable,
        "-c",
        BARE,
        model,
        args.prompt,
        str(args.max_tokens),
        str(threads),
        system,
    ]
    rows: dict[str, list[float]] = {
        k: [] for k in ("lamp_wall", "bare_wall", "lamp_ttft", "bare_ttft", "lamp_tps", "bare_tps")
    }
    same_answer = True
    for i in range(args.runs):
        lamp_wall, _ = timed([*lamp_cmd(), "ask", *common, args.prompt])
        bare_wall, bare_proc = timed(bare, AMX_SITE)
        _, lamp_json = timed([*lamp_cmd(), "ask", "--json", *common, args.prompt])
        lj = json.loads(lamp_json.stdout)
        bj = json.loads(bare_proc.stderr.strip().splitlines()[-1])
        same_answer &= lj["answer"].strip() == bj["answer"].strip()
        rows["lamp_wall"].append(lamp_wall)
        rows["bare_wall"].append(bare_wall)
        rows["lamp_ttft"].append(lj["timings"]["first_token_s"])
        rows["bare_ttft"].append(bj["first_token_s"])
        rows["lamp_tps"].append(lj["timings"]["tokens_per_s"])
        rows["bare_tps"].append(
            tokens_per_s(bj["completion_tokens"], bj["first_token_s"], bj["generation_s"])
        )
        print(
            f"run {i + 1}: wall lamp {lamp_wall:.3f}s bare {bare_wall:.3f}s | ttft lamp "
            f"{rows['lamp_ttft'][-1]:.3f}s bare {rows['bare_ttft'][-1]:.3f}s | tok/s lamp "
            f"{rows['lamp_tps'][-1]:.2f} bare {rows['bare_tps'][-1]:.2f}",
            flush=True,
        )
    med = {k: statistics.median(v) for k, v in rows.items()}
    summary = {
        "runs": args.runs,
        "threads": threads,
        "max_tokens": args.max_tokens,
        "same_answer": same_answer,
        "wall_s": {
            "lamp": med["lamp_wall"],
            "bare": med["bare_wall"],
            "ratio_lamp_over_bare": med["lamp_wall"] / med["bare_wall"],
            "target": "<= 1.10",
        },
        "first_token_s": {
            "lamp": med["lamp_ttft"],
            "bare": med["bare_ttft"],
            "ratio_lamp_over_bare": med["lamp_ttft"] / med["bare_ttft"],
        },
        "tokens_per_s": {
            "lamp": med["lamp_tps"],
            "bare": med["bare_tps"],
            # A one-token answer has no generation rate to compare.
            "ratio_lamp_over_bare": (med["lamp_tps"] / med["bare_tps"] if med["bare_tps"]
                                     else float("nan")),
            "target": ">= 0.97",
        },
        "cpu": shutil.which("lscpu")
        and subprocess.run(["lscpu"], capture_output=True, text=True)
        .stdout.split("Model name:")[-1]
        .splitlines()[0]
        .strip(),
    }
    if args.prefix_runs:
        summary["prefix_cache_first_token_s"] = prefix_cache_pair(args.prefix_runs)
    if args.serve_runs:
        summary["serve"] = serve_pairs(args.serve_runs, args.loop_questions)
    if args.llm_runs:
        summary["llm"] = llm_pairs(args.llm_runs, model, args.prompt, args.max_tokens)
    if "serve" in summary:
        v = summary["serve"]
        print(f"one-shot cold {v['one_shot_cold_s']:.3f}s warm {v['one_shot_warm_s']:.3f}s "
              f"ratio {v['ratio_warm_over_cold']:.3f} (target <= 0.25); {v['loop_questions']} "
              f"questions loop: {v['loop_without_serve_s']:.1f}s vs {v['loop_with_serve_s']:.1f}s, "
              f"auto_serve {v['loop_auto_serve_s']:.1f}s")
    if "prefix_cache_first_token_s" in summary:
        p = summary["prefix_cache_first_token_s"]
        print(f"prefix cache, tool step-1 first token: empty {p['empty']:.3f}s filled "
              f"{p['filled']:.3f}s ratio {p['ratio_filled_over_empty']:.3f} (target <= 0.3)")
    for key in ("wall_s", "first_token_s", "tokens_per_s"):
        s = summary[key]
        print(
            f"{key:<14} lamp {s['lamp']:.3f}  bare {s['bare']:.3f}  "
            f"ratio {s['ratio_lamp_over_bare']:.3f}  {s.get('target', '')}"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
