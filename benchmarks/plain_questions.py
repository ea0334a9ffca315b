"""Tools must not make plain questions worse: `--tools default` vs no tools, same model, greedy.

With tools on, a question that needs no tool should still be answered directly,
and the answer must never be a tool's error message (issue 11). This runs the
shipped entry (``lamp.agent.app.run.answer``, as the CLI does) on a set of plain
questions (facts, definitions, short writing, rewriting, translation; English
and Korean) once without tools (an ``AskRequest``) and once with the default
tools (a ``ToolsRequest`` whose approver refuses, as `--approve ask` does off a
terminal: nothing that needs approval runs), and checks every answer
mechanically.

    python benchmarks/plain_questions.py --data benchmarks/data/plain_questions.jsonl
    python benchmarks/plain_questions.py --data benchmarks/data/plain_questions.jsonl \\
        --limit 10 --modes plain,tools --model path/to/model.gguf --out /tmp/pq.jsonl

Prints one line per question and mode to stderr and a JSON summary on stdout:
accuracy per mode (overall, per language, per kind), answers that echo a tool
error (wrong even when the check passes) or copy a tool observation, mean steps,
tool calls and seconds, and the questions plain answered right and tools wrong.
Target: tools within 5 points of plain, and no answer echoing a tool error.
--out keeps every result with its steps.

Every question is answered by one Runtime (bench_backend.py: the model loaded
once, lamp's defaults under a throwaway LAMP_HOME, so no user config changes the
result) with the options `--no-memory --temperature 0 --max-tokens 160`. A run
that fails (a lamp error) or stops at its step limit is wrong. The loop itself
answers again without tools when its answer repeats a tool error
(agent/react/loop.py); ``echoes_tool_error`` and ``copies_observation`` here are
scoring only: they check that the loop's rule held.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench_backend import bench_runtime

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import AskRequest, Given, ToolsRequest
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Runtime
from lamp.agent.app.tools import tool_routing
from lamp.agent.errors import LampError
from lamp.agent.react.answer import ToolOptions
from lamp.agent.tools import deny_all

__all__ = ["check_answer", "echoes_tool_error"]

MAX_TOKENS = 160
FLAGS = {"temperature": 0, "max_tokens": MAX_TOKENS}  # as --temperature 0 --max-tokens 160
NO_MEMORY = MemoryChoice(disabled=True)
ECHO_MIN_CHARS = 20  # a shared run of this many characters counts as echoing an observation
ERROR_PHRASES = ("error:", "traceback", "invalid input for", "refused:", "timed out",
                 "did not approve", "could not ask", "no such file", "errno",
                 "you already ran this exact call", "cut off or malformed")
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:'[A-Za-z]+)?")
CHECK_KEYS = {"any", "all", "not_any", "script", "min_chars", "min_words", "max_words"}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _norm(text: str) -> str:
    """Casefolded, NFKC, straight quotes, single spaces: what the checks compare."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return " ".join(text.split())


def check_answer(answer: str, check: dict[str, Any]) -> bool:
    """Whether ``answer`` passes ``check``; every key present must hold.

    any: some string occurs (case-insensitive); all: every string occurs;
    not_any: none occurs; script "hangul": at least min_chars Hangul syllables
    (default 1); script "latin": at least min_words Latin-letter words (default 1);
    min_chars / min_words without a script count non-space characters / words;
    max_words: at most this many whitespace-separated words. An empty answer is
    always wrong; an unknown key raises ValueError (a typo in the data must not
    pass silently).
    """
    unknown = set(check) - CHECK_KEYS
    if unknown:
        raise ValueError(f"unknown check keys: {sorted(unknown)}")
    if not answer.strip():
        return False
    text = _norm(answer)
    if "any" in check and not any(_norm(s) in text for s in check["any"]):
        return False
    if "all" in check and not all(_norm(s) in text for s in check["all"]):
        return False
    if "not_any" in check and any(_norm(s) in text for s in check["not_any"]):
        return False
    script = check.get("script")
    if script == "hangul":
        if len(HANGUL.findall(answer)) < int(check.get("min_chars", 1)):
            return False
    elif script == "latin":
        if len(LATIN_WORD.findall(answer)) < int(check.get("min_words", 1)):
            return False
    elif script is not None:
        raise ValueError(f"unknown script {script!r}")
    else:
        if "min_chars" in check and len(text.replace(" ", "")) < int(check["min_chars"]):
            return False
        if "min_words" in check and len(text.split()) < int(check["min_words"]):
            return False
    return not ("max_words" in check and len(answer.split()) > int(check["max_words"]))


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _shares_run(answer: str, observation: str, question: str, size: int) -> bool:
    """Whether some ``size``-character run of the answer is in the observation but not in
    the question (observations such as the repeat notice quote the question, and an answer
    may restate it)."""
    for i in range(len(answer) - size + 1):
        piece = answer[i:i + size]
        if piece in observation and piece not in question:
            return True
    return False


def echoes_tool_error(answer: str, steps: Iterable[dict[str, Any]], question: str = "") -> bool:
    """Whether the final answer repeats an error observation of this run.

    True when some step's observation was an error and the answer shares a run of
    ECHO_MIN_CHARS characters with it (not taken from the question), contains an error
    phrase or exception name that the observation also contains, or is contained in /
    contains the observation's first line.
    """
    ans = _norm(answer)
    if not ans:
        return False
    quest = _norm(question)
    for step in steps:
        if not step.get("is_error"):
            continue
        raw = str(step.get("observation") or "")
        obs = _norm(raw)
        if not obs:
            continue
        first = _norm(_first_line(raw))
        if first and (ans in first or first in ans):
            return True
        if any(p in obs and p in ans for p in ERROR_PHRASES):
            return True
        if set(EXCEPTION_NAME.findall(raw)) & set(EXCEPTION_NAME.findall(answer)):
            return True
        if _shares_run(ans, obs, quest, ECHO_MIN_CHARS):
            return True
    return False


def copies_observation(answer: str, steps: Iterable[dict[str, Any]]) -> bool:
    """Whether the answer is (in) a tool observation, starts with one (the step-limit answer
    is the last observation plus where it came from), or holds one of 20+ characters."""
    ans = _norm(answer)
    if not ans:
        return False
    for step in steps:
        obs = _norm(str(step.get("observation") or ""))
        if obs and (ans in obs or ans.startswith(obs)
                    or (len(obs) >= ECHO_MIN_CHARS and obs in ans)):
            return True
    return False


@dataclass
class Result:
    id: str
    lang: str
    kind: str
    mode: str
    correct: bool  # no error, check passed, and not an echoed tool error
    answer: str
    seconds: float
    check_passed: bool = False
    steps: int = 0
    tool_calls: int = 0
    tools_used: list[str] = field(default_factory=list)
    error_observations: int = 0
    echoed_tool_error: bool = False
    copied_observation: bool = False
    stopped: str | None = None
    problem: str = ""  # the run's error or why it stopped
    step_log: list[dict[str, Any]] = field(default_factory=list)  # tools mode, for --out


def _step_summary(step: dict[str, Any]) -> dict[str, Any]:
    keep = ("step", "kind", "tool", "input", "is_error", "refused", "model_s", "tool_s")
    out = {k: step[k] for k in keep if k in step}
    if "observation" in step:
        out["observation"] = str(step["observation"])[:300]
    return out


def run_one(item: dict[str, Any], mode: str, rt: Runtime, route: bool) -> Result:
    """One question through lamp's entry, plainly or with the default tools."""
    given = Given(prompt=item["question"])
    if mode == "tools":
        request: AskRequest | ToolsRequest = ToolsRequest(
            given, tools=ToolOptions(tools="default", route=route), approve=deny_all,
            memory=NO_MEMORY)
    else:
        request = AskRequest(given, memory=NO_MEMORY)
    result = Result(id=item["id"], lang=item["lang"], kind=item["kind"], mode=mode,
                    correct=False, answer="", seconds=0.0)
    start = time.perf_counter()
    try:
        done = answer(request, rt).consume()
    except LampError as exc:
        result.seconds = round(time.perf_counter() - start, 3)
        result.problem = f"{type(exc).__name__}: {exc}"[:200]
        return result
    result.seconds = round(time.perf_counter() - start, 3)
    result.answer = str(done.answer or "")
    result.stopped = done.stopped
    if done.error is not None:
        result.problem = f"{done.stopped or 'error'}: {done.error}"[:200]
    steps: list[dict[str, Any]] = [s.to_dict() for s in done.steps] if mode == "tools" else []
    if mode == "tools":
        result.steps = len(steps)
        calls = [s for s in steps if s.get("kind") in ("action", "repeat")]
        result.tool_calls = len(calls)
        result.tools_used = [str(s.get("tool")) for s in calls]
        result.error_observations = sum(1 for s in steps if s.get("is_error"))
        result.echoed_tool_error = echoes_tool_error(result.answer, steps, item["question"])
        result.step_log = [_step_summary(s) for s in steps]
    else:
        result.steps = 1
    result.check_passed = check_answer(result.answer, item["check"])
    # "ToolError: unknown name 'Paris'" contains Paris, but an error message is no answer.
    result.correct = (done.error is None and result.check_passed
                      and not result.echoed_tool_error)
    if mode == "tools" and not result.check_passed:
        result.copied_observation = copies_observation(result.answer, steps)
    return result


def _accuracy(rows: list[Result]) -> dict[str, Any]:
    right = sum(r.correct for r in rows)
    return {"n": len(rows), "correct": right,
            "accuracy": round(right / len(rows), 4) if rows else None}


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def summarize(results: list[Result], modes: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {"modes": {}}
    for mode in modes:
        rows = [r for r in results if r.mode == mode]
        by_lang = sorted({r.lang for r in rows})
        by_kind = sorted({r.kind for r in rows})
        summary["modes"][mode] = {
            **_accuracy(rows),
            "by_lang": {k: _accuracy([r for r in rows if r.lang == k]) for k in by_lang},
            "by_kind": {k: _accuracy([r for r in rows if r.kind == k]) for k in by_kind},
            "check_passed": sum(r.check_passed for r in rows),
            "echoed_tool_error": sum(r.echoed_tool_error for r in rows),
            "echoed_tool_error_ids": [r.id for r in rows if r.echoed_tool_error],
            "copied_observation": sum(r.copied_observation for r in rows),
            "copied_observation_ids": [r.id for r in rows if r.copied_observation],
            "answered_with_tool_calls": sum(r.tool_calls > 0 for r in rows),
            "mean_steps": _mean([r.steps for r in rows]),
            "mean_tool_calls": _mean([r.tool_calls for r in rows]),
            "tools_used": {t: sum(u.count(t) for u in (r.tools_used for r in rows))
                           for t in sorted({t for r in rows for t in r.tools_used})},
            "mean_seconds": _mean([r.seconds for r in rows]),
            "problems": {r.id: r.problem for r in rows if r.problem},
        }
    if {"plain", "tools"} <= set(modes):
        plain = {r.id: r for r in results if r.mode == "plain"}
        tools = {r.id: r for r in results if r.mode == "tools"}
        both = [i for i in plain if i in tools]
        summary["plain_right_tools_wrong"] = [i for i in both
                                              if plain[i].correct and not tools[i].correct]
        summary["tools_right_plain_wrong"] = [i for i in both
                                              if tools[i].correct and not plain[i].correct]
        p_acc = summary["modes"]["plain"]["accuracy"] or 0.0
        t_acc = summary["modes"]["tools"]["accuracy"] or 0.0
        gap = round(100 * (p_acc - t_acc), 2)
        summary["target"] = {
            "accuracy_gap_points": gap,  # plain minus tools
            "within_5_points": gap <= 5.0,
            "no_echoed_tool_error": summary["modes"]["tools"]["echoed_tool_error"] == 0,
        }
    return summary


def load_items(path: Path, limit: int | None) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    for item in items:  # fail on a bad check before any model is loaded
        check_answer("x", item["check"])
    return items[:limit] if limit else items


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="questions, one JSON per line")
    ap.add_argument("--limit", type=int, default=None, help="first N questions only")
    ap.add_argument("--model", default="", help="as `lamp ask --model`")
    ap.add_argument("--modes", default="plain,tools", help="comma-separated: plain, tools")
    ap.add_argument("--out", type=Path, default=None, help="write every result here (JSONL)")
    ap.add_argument("--route", default="auto", choices=("auto", "on", "off"),
                    help="as `lamp ask --route` in the tools mode")
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes or set(modes) - {"plain", "tools"}:
        ap.error("--modes takes plain and/or tools")
    items = load_items(args.data, args.limit)
    rt, model = bench_runtime(args.model, flags=FLAGS)
    route = tool_routing(args.route, rt.settings)
    results: list[Result] = []
    try:
        for item in items:
            for mode in modes:
                r = run_one(item, mode, rt, route)
                results.append(r)
                flags = "".join((" ECHO" if r.echoed_tool_error else "",
                                 " COPY" if r.copied_observation else "",
                                 f" [{r.problem}]" if r.problem else ""))
                preview = " ".join(r.answer.split())[:60]
                print(f"{r.id:<12} {r.lang} {mode:<5} {'ok' if r.correct else 'WRONG':<5} "
                      f"steps={r.steps} calls={r.tool_calls} {r.seconds:6.1f}s "
                      f"{preview!r}{flags}", file=sys.stderr, flush=True)
    finally:
        rt.close()
    if args.out:
        args.out.write_text("".join(json.dumps(asdict(r), ensure_ascii=False) + "\n"
                                    for r in results), encoding="utf-8")
    summary = {"data": str(args.data), "model": model.name, "route": args.route,
               "items": len(items),
               **summarize(results, modes)}
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
