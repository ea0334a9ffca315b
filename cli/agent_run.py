"""`lamp ask --tools`: run the ReAct agent and show its work the way the output calls for.

Terminal: each step as it happens (thought dimmed, action and observation in
panels, observations collapsed unless --verbose). Pipe: only the final answer.
--json: the answer plus every step with its timings.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lamp.agent.demos import demos_for
from lamp.agent.errors import StepLimitReached
from lamp.agent.events import Event, FinalAnswer, Notice, Observation, ToolCall, Usage
from lamp.agent.formats import get_format
from lamp.agent.models import Backend, Sampling
from lamp.agent.react import AgentConfig, run_agent
from lamp.agent.tools import ToolContext, select_tools

from .approval import make_approver
from .render import warn, warn_once

__all__ = ["AgentRequest", "check_request", "run_with_tools"]


@dataclass
class AgentRequest:
    question: str
    tools: str  # "default" or a comma-separated list
    allow: list[str]
    approve: str
    max_steps: int
    tool_format: str = "native"
    sandbox_policy: str = "auto"
    system: str = ""  # empty: the agent's own system prompt


def _tool_names(spec: str) -> list[str] | None:
    names = [n.strip() for n in spec.split(",") if n.strip()]
    return None if names in ([], ["default"]) else names


def check_request(req: AgentRequest) -> None:
    """Reject bad tool flags before anything slow (model, memory) is loaded."""
    from lamp.agent.errors import UsageError

    if req.approve not in ("ask", "all"):
        raise UsageError(f"--approve must be 'ask' or 'all', not {req.approve!r}")
    get_format(req.tool_format)
    select_tools(_tool_names(req.tools), allow=req.allow)


def run_with_tools(req: AgentRequest, backend: Backend, sampling: Sampling, *, memory: Any,
                   json_out: bool, quiet: bool, verbose: bool, started: float) -> str:
    """Run the agent, render it, and return the final answer text."""
    from lamp.agent.sandbox import Sandbox

    fmt = get_format(req.tool_format)
    names = _tool_names(req.tools)
    tools = select_tools(names, allow=req.allow)
    if names is None and memory is None:
        tools = [t for t in tools if t.name != "search_memory"]  # nothing to search
    search = None
    if memory is not None:
        from lamp.agent.tools.builtins import store_searcher

        search = store_searcher(memory.store)
    ctx = ToolContext(cwd=Path.cwd(), sandbox=Sandbox(policy=req.sandbox_policy),  # type: ignore[arg-type]
                      search_memory=search, approve=make_approver(req.approve))
    config = AgentConfig(max_steps=req.max_steps, system=req.system or AgentConfig.system,
                         demos=demos_for((t.name for t in tools), fmt.name))
    events = run_agent(backend, req.question, tools, ctx, fmt, sampling, config)
    payload: dict[str, Any] = {"tools": [t.name for t in tools], "format": fmt.name}
    warnings: list[str] = []
    try:
        final, usage = _render(events, warnings, json_out=json_out, quiet=quiet,
                               verbose=verbose)
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
