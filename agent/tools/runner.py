"""Run one tool call so that whatever the tool does, the loop gets an observation back.

``run_tool`` validates the input against the tool's schema, asks approval when
the call needs it (``Tool.approval``: the tool's flag, its reason for this call,
its risks), runs the tool in a worker thread under a deadline, and turns every
failure (bad input, refusal, exception, hang) into an error observation the
model can read. It never raises, except ``KeyboardInterrupt``: Ctrl-C still
interrupts lamp.

A Python thread cannot be killed. When a tool hangs, ``run_tool`` stops waiting
and reports the timeout, but the thread runs on in the background (it is a daemon
thread, so it never keeps lamp from exiting). That is why the built-ins that can
block for long (python, shell) do their work in a subprocess with its own kill of
the whole process group; a plugin that might hang should do the same.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .base import NOT_NEEDED, POLICY, ApprovalRequest, Tool, ToolContext, decide, validate_args

__all__ = ["OUTPUT_LIMIT", "ToolOutcome", "cap_output", "run_tool"]

OUTPUT_LIMIT = 4000
"""Characters of one observation the model sees: a 0.5B model's context is small."""


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call as the loop records it; ``output`` is what the model reads next.
    ``approval`` says who let it run or refused it (``base.NOT_NEEDED``, ``base.POLICY``,
    ...); a call whose input did not validate was never up for approval."""

    output: str
    is_error: bool
    seconds: float
    refused: bool = False
    approval: str = NOT_NEEDED


def run_tool(tool: Tool, args: dict[str, Any], ctx: ToolContext, *,
             timeout: float | None = None) -> ToolOutcome:
    """Validate, approve, run under ``timeout`` (default: the tool's own), cap the output."""
    start = time.monotonic()

    approval = NOT_NEEDED

    def outcome(text: str, is_error: bool, refused: bool = False) -> ToolOutcome:
        return ToolOutcome(cap_output(text), is_error, time.monotonic() - start, refused,
                           approval)

    problems = validate_args(tool.input_schema, args)
    if problems:
        return outcome(f"invalid input for {tool.name}: " + "; ".join(problems), True)
    args = _with_defaults(tool.input_schema, args)
    try:
        request = tool.approval(args, ctx)
    except Exception as exc:  # a tool that cannot tell whether to ask: ask (fail closed)
        request = ApprovalRequest(tool, args, "lamp could not tell whether this call is safe",
                                  (f"checking the call failed: {_describe(exc)}",),
                                  _safe_preview(tool, args))
    if request is not None:
        try:
            decision = decide(ctx.approve, request)
        except Exception as exc:  # e.g. EOF on a closed terminal: nobody said yes
            approval = POLICY
            return outcome(f"refused: could not ask the user to approve running {tool.name} "
                           f"({_describe(exc)})", True, refused=True)
        approval = decision.by
        if not decision.approved:
            why = f" ({'; '.join(request.risks)})" if request.risks else ""
            return outcome(f"refused: the user did not approve running {tool.name}{why}",
                           True, refused=True)
    limit = tool.timeout if timeout is None else timeout
    done, result = _run_in_thread(tool, args, ctx, limit)
    if not done:
        return outcome(f"tool {tool.name} timed out after {limit:g} s", True)
    if isinstance(result, BaseException):
        return outcome(_describe(result), True)
    return outcome(result if isinstance(result, str) else str(result), False)


def _safe_preview(tool: Tool, args: dict[str, Any]) -> str:
    try:
        return tool.preview(args)
    except Exception:  # the JSON the model sent is still exactly what will run
        return json.dumps(args, ensure_ascii=False, indent=2, default=str)


def _run_in_thread(tool: Tool, args: dict[str, Any], ctx: ToolContext,
                   limit: float) -> tuple[bool, Any]:
    """(finished, return value or exception). A daemon thread, not an executor: executor
    threads are joined at interpreter exit, so one hung tool would hang lamp's exit."""
    box: list[Any] = []

    def work() -> None:
        try:
            box.append(tool.run(args, ctx))
        except BaseException as exc:  # SystemExit from a tool is the tool's failure too
            box.append(exc)

    thread = threading.Thread(target=work, name=f"lamp-tool-{tool.name}", daemon=True)
    thread.start()
    thread.join(max(limit, 0.0))
    if thread.is_alive() or not box:
        return False, None
    return True, box[0]


def cap_output(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """``text`` cut to about ``limit`` characters, keeping the start and the end (errors
    tend to be at the end) and saying how much was cut, so the model knows it is partial."""
    if len(text) <= limit:
        return text
    head = limit * 3 // 4
    tail = limit - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut:,} characters cut ...]\n{text[-tail:]}"


def _with_defaults(schema: Mapping[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """The arguments with top-level schema defaults filled in, so tools see one shape."""
    filled = {key: copy.deepcopy(sub["default"])
              for key, sub in schema.get("properties", {}).items()
              if "default" in sub and key not in args}
    return {**args, **filled}


def _describe(exc: BaseException) -> str:
    """``Type: message``: what the model sees of an exception (never a traceback)."""
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
