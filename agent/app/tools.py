"""Answers with tools (``ask --tools``, chat's ``/tools``): checks first, then the tool loop.

What can fail without the model fails before it loads: an unknown tool or
format, a sandbox policy that finds no isolating layer for the python tool or
a stdio MCP server (exit 2), an MCP server that cannot start. Then memory (the
search_memory tool reads it) opens behind the model load, and the loop runs
(lamp.agent.react.answer decides tools, demos and prompts).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from lamp.agent.react.answer import ToolOptions, run_with_tools

from .prepare import prepare_ask
from .requests import ToolsRequest
from .result import Run, RunResult

if TYPE_CHECKING:
    from lamp.agent.config.settings import Settings
    from lamp.agent.models import Backend, Sampling
    from lamp.agent.models.catalog import Preset
    from lamp.agent.tools import Approver

    from .runtime import Runtime

__all__ = ["answer_tools", "check_tools", "run_tool_loop", "step_format", "tool_routing"]

STARTING = "starting MCP servers…"


def step_format(choice: str, settings: Settings) -> str:
    """``--tool-format``: ``auto`` is the format measured best for the model's preset
    (``Preset.tool_format``); a model lamp knows nothing about, or one behind an HTTP
    server, gets the model's own (native) format."""
    if choice != "auto":
        return choice
    preset = _known_preset(settings)
    return preset.tool_format if preset is not None else "native"


def tool_routing(choice: str, settings: Settings) -> bool:
    """``--route``: whether the loop first asks if the question needs a tool at all
    (lamp.agent.react.route). ``auto`` is the choice measured best for the model's preset
    (``Preset.route``); other models and HTTP servers are routed."""
    if choice != "auto":
        return choice == "on"
    preset = _known_preset(settings)
    return preset.route if preset is not None else True


def _known_preset(settings: Settings) -> Preset | None:
    """The preset of the local model in use; None for other files and for HTTP servers,
    whose model lamp cannot know."""
    from lamp.agent.models.catalog import preset_for_model

    return preset_for_model(settings.model) if settings.backend == "llama" else None


def check_tools(rt: Runtime, options: ToolOptions, *, show: bool = True) -> None:
    """Everything about ``options`` that can fail before the model loads: unknown names
    (UsageError), the sandbox policy for the python tool and for stdio MCP servers
    (IsolationRefused, exit 2, before anything starts), and the MCP servers it names,
    started now (a server that cannot start fails the command in seconds)."""
    from lamp.agent.tools import select_tools

    source = rt.mcp_tools()  # configured MCP servers, or the tools a caller handed in
    options.check(mcp_servers=[*rt.settings.mcp_servers,
                               *(source.servers if source is not None else ())])
    if _runs_python(options):
        rt.require_sandbox("the python tool (model-written code)")
    names = options.tool_names() or []
    if source is None or not any(source.owns(n) for n in names):
        return
    from lamp.agent.sandbox import require_isolation

    servers = getattr(getattr(source, "hub", None), "servers", {})  # MCP servers only
    for name in {n.partition(".")[0] for n in names if source.owns(n)}:
        if name in servers and servers[name].transport == "stdio":
            require_isolation(rt.sandbox_policy, f"MCP server {name!r}", as_sandbox_uid=False)
    with rt.wait(STARTING, show=show):
        select_tools(names, allow=options.allow, source=source)


def _runs_python(options: ToolOptions) -> bool:
    """Whether the options select the python tool (by name, through --allow, or as one of
    the tools on by default)."""
    from lamp.agent.tools import load_tools

    names = options.tool_names()
    if names is None:
        python = load_tools().get("python")
        return (python is not None and python.enabled_by_default) or "python" in options.allow
    return "python" in names or "python" in options.allow


def answer_tools(request: ToolsRequest, rt: Runtime) -> Run:
    """``ask --tools``: the checks, memory behind the model load, then the loop."""
    check_tools(rt, request.tools)
    started = time.perf_counter()
    rt.open_memory(replace(request.memory, needs_store=True))  # search_memory reads it
    backend = rt.model()
    settings = rt.settings
    prepared = prepare_ask(
        backend, rt.sampling(), prompt=request.given.prompt, material=request.given.material,
        system=settings.system, template=request.template,
        system_from_user="system" in rt.chosen,
        temperature_from_user="temperature" in rt.chosen, truncate=request.truncate)
    rt.attach_memory(prepared.conversation, load_history=False)
    run = run_tool_loop(rt, backend, prepared.user_text, request.tools,
                        prepared.conversation.sampling, approve=request.approve)
    run.result.started = started
    run.result.notices[:0] = [w for w in request.given.warnings
                              if w not in run.result.notices]
    return run


def run_tool_loop(rt: Runtime, backend: Backend, question: str, options: ToolOptions,
                  sampling: Sampling, *, approve: Approver) -> Run:
    """The tool loop on ``question`` with the Runtime's sandbox, memory store and MCP
    servers; a server's warnings are said once per command."""
    memory = rt.memory
    source = rt.mcp_tools()
    starts = source is not None and any(source.owns(n) for n in options.tool_names() or ())
    with rt.wait(STARTING, show=starts):
        loop = run_with_tools(backend, question, options, sampling, chosen=rt.chosen,
                              sandbox=rt.sandbox(), cwd=rt.caller.cwd,
                              memory_store=memory.store if memory is not None else None,
                              approve=approve, tool_source=source)
    for message in getattr(source, "warnings", ()) if source is not None else ():
        rt.warn(message)
    result = RunResult(model=backend.describe(), sampling=loop.sampling.as_dict(),
                       load_s=backend.load_seconds,
                       details={"tools": [t.name for t in loop.tools], "format": loop.fmt.name,
                                "route": options.route})
    return Run(loop.events, result, finish=_steps)


def _steps(result: RunResult) -> None:
    result.details["steps"] = result.steps

