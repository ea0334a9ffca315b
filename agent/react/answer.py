"""Answering with tools (`lamp ask --tools`, chat's /tools): the decisions around the loop.

The CLI says what the user asked for (a ``ToolOptions``) and lends what only
it has: the sandbox, the memory store, a way to ask the person before a tool
changes things. This module decides the rest: which tools (no memory search
without a store to search), their shared context, the worked examples that
suit the step format, the system prompt and the sampling. Then it runs the
ReAct loop (``react.run_agent``) and hands back its events with what it chose.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..events import Event
from ..models import Backend, Sampling
from ..sampling import greedy_unless_set
from ..tools import Approver, Tool, ToolContext, ToolSource, deny_all, select_tools
from .demos import demos_for
from .formats import StepFormat, get_format
from .loop import AgentConfig, run_agent
from .route import TOOL_FROM

__all__ = ["ToolOptions", "ToolRun", "run_with_tools"]


@dataclass(frozen=True)
class ToolOptions:
    """What the user asked for: tools by name, the step format, the step limit."""

    tools: str = "default"  # "default" or a comma-separated list of names
    allow: tuple[str, ...] = ()  # tools that are off by default, enabled by the user
    max_steps: int = 6
    tool_format: str = "native"
    route: bool = True  # ask first whether the question needs a tool (agent/react/route.py)
    route_from: float = TOOL_FROM  # the router's bar; 0 always asks both of its questions
    system: str = ""  # a system prompt the user chose; empty: the agent's own

    def tool_names(self) -> list[str] | None:
        """The names asked for; None means every tool that is on by default."""
        names = [n.strip() for n in self.tools.split(",") if n.strip()]
        return None if names in ([], ["default"]) else names

    def check(self, mcp_servers: Collection[str] = ()) -> None:
        """Reject an unknown format or tool (UsageError) before anything slow is loaded.
        Names of configured MCP servers (and ``SERVER.TOOL``) pass: checking a tool of a
        server means starting it, which waits until the tools are selected."""
        get_format(self.tool_format)
        names = self.tool_names()
        if names is not None:
            names = [n for n in names if n.partition(".")[0] not in mcp_servers]
        select_tools(names, allow=self.allow)


@dataclass
class ToolRun:
    """A started run: the tools, format and sampling chosen (for ``--json``), and the loop's
    events."""

    tools: list[Tool]
    fmt: StepFormat
    events: Iterator[Event]
    sampling: Sampling


def run_with_tools(backend: Backend, question: str, request: ToolOptions, sampling: Sampling,
                   *, chosen: Collection[str] = (), sandbox: Any = None,
                   memory_store: Any = None,
                   approve: Approver = deny_all,
                   cwd: Path | None = None, tool_source: ToolSource | None = None) -> ToolRun:
    """Answer ``question`` with the ReAct agent; nothing runs until ``events`` is consumed.

    ``chosen`` names the settings the user chose (a chosen temperature is kept, else
    steps are greedy). ``memory_store`` is a ``lamp.memory.MemoryStore`` for the
    search_memory tool; without one that tool is left out of the default set.
    ``tool_source`` holds the configured MCP servers (``lamp.agent.mcp.McpTools``).
    """
    from ..tools.builtins import store_searcher

    fmt = get_format(request.tool_format)
    names = request.tool_names()
    tools = select_tools(names, allow=request.allow, source=tool_source)
    if names is None and memory_store is None:
        tools = [t for t in tools if t.name != "search_memory"]  # nothing to search
    search = store_searcher(memory_store) if memory_store is not None else None
    ctx = ToolContext(cwd=cwd if cwd is not None else Path.cwd(), sandbox=sandbox,
                      search_memory=search, approve=approve)
    config = AgentConfig(max_steps=request.max_steps, route=request.route,
                         route_from=request.route_from,
                         route_instructions=request.system,
                         system=request.system or AgentConfig.system,
                         demos=demos_for((t.name for t in tools), fmt.name),
                         direct_system=request.system or AgentConfig.direct_system)
    sampling = greedy_unless_set(sampling, chosen)
    events = run_agent(backend, question, tools, ctx, fmt, sampling,
                       config)
    return ToolRun(tools, fmt, events, sampling)
