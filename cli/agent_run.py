"""`lamp ask --tools`: start the tool agent (lamp.agent.tool_agent) and show its work.

Terminal: each step as it happens (thought dimmed, action and observation in
panels, observations collapsed unless --verbose). Pipe: only the final answer.
--json: the answer plus every step with its timings.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lamp.agent.errors import StepLimitReached, UsageError
from lamp.agent.events import Event, FinalAnswer, Notice, Observation, ToolCall, Usage
from lamp.agent.models import Backend, Sampling
from lamp.agent.tool_agent import ToolsRequest, run_with_tools

from .approval import make_approver
from .render import warn, warn_once

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["check_approve", "run_tools"]


def check_approve(approve: str) -> None:
    """``--approve`` is ``ask`` (the terminal) or ``all``; checked before anything slow."""
    if approve not in ("ask", "all"):
        raise UsageError(f"--approve must be 'ask' or 'all', not {approve!r}")


def run_tools(rt: Runtime, backend: Backend, question: str, request: ToolsRequest,
              sampling: Sampling, *, approve: str = "ask", sandbox_policy: str = "auto",
              json_out: bool = False, quiet: bool = False, started: float) -> str:
    """Run the agent, render it, and return the final answer text."""
    memory = rt.memory
    run = run_with_tools(backend, question, request, sampling, chosen=rt.chosen,
                         sandbox=rt.sandbox(sandbox_policy),
                         memory_store=memory.store if memory is not None else None,
                         approve=make_approver(approve))
    payload: dict[str, Any] = {"tools": [t.name for t in run.tools], "format": run.fmt.name}
    warnings: list[str] = []
    try:
        final, usage = _render(run.events, warnings, json_out=json_out, quiet=quiet,
                               verbose=rt.verbose)
    except StepLimitReached as exc:
        if json_out:
            _emit({**payload, "answer": exc.partial_answer, "stopped": "step limit",
                   "steps": exc.steps, "warnings": warnings,
                   "timings": {"total_s": time.perf_counter() - started}})
        elif exc.partial_answer:
            sys.stdout.write(exc.partial_answer.rstrip() + "\n")
        raise
    if json_out:
        _emit({**payload, "answer": final.text, "steps": final.steps, "warnings": warnings,
               "usage": {"prompt_tokens": usage.prompt_tokens if usage else 0,
                         "completion_tokens": usage.completion_tokens if usage else 0},
               "timings": {"total_s": round(time.perf_counter() - started, 4)}})
    return final.text


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def _render(events: Iterable[Event], warnings: list[str], *, json_out: bool, quiet: bool,
            verbose: bool) -> tuple[FinalAnswer, Usage | None]:
    """Show the run; the warnings met on the way are added to ``warnings``."""
    rich = sys.stdout.isatty() and not json_out
    console = None
    if rich:
        from rich.console import Console

        console = Console()
    final, usage = FinalAnswer(""), None
    for event in events:
        if isinstance(event, FinalAnswer):
            final = event
        elif isinstance(event, Usage):
            usage = event
        elif isinstance(event, Notice) and event.level == "warning":
            warnings.append(event.message)
            if not quiet:
                warn_once(event.message)
        elif isinstance(event, Notice) and verbose and not quiet:
            warn(event.message)
        elif console is not None and not quiet:
            _show_step(console, event, verbose)
    if json_out:
        return final, usage
    if console is not None:
        from rich.markdown import Markdown

        console.print(Markdown(final.text))
    else:
        sys.stdout.write(final.text.rstrip("\n") + "\n")
        sys.stdout.flush()
    return final, usage


def _show_step(console: Any, event: Event, verbose: bool) -> None:
    from rich.panel import Panel
    from rich.text import Text

    if isinstance(event, ToolCall):
        if event.thought:
            console.print(Text(event.thought, style="dim italic"))
        body = json.dumps(event.input, ensure_ascii=False, indent=None if not verbose else 2)
        console.print(Panel(Text(body), title=f"action: {event.tool}", title_align="left",
                            border_style="cyan", expand=False))
    elif isinstance(event, Observation):
        lines = event.output.splitlines() or [""]
        shown = lines if verbose or len(lines) <= 6 else [*lines[:6],
                                                          f"… {len(lines) - 6} more lines "
                                                          "(--verbose shows all)"]
        console.print(Panel(Text("\n".join(shown)), title=f"observation ({event.seconds:.2f}s)",
                            title_align="left", expand=False,
                            border_style="red" if event.is_error else "green"))
