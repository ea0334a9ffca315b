"""`lamp ask --tools` and chat's /tools: start the tool agent, render it, compose --json.

The agent (lamp.agent.react.answer) decides tools, context and demos; the
renderers (cli/render/) show the steps. Terminal: each step as it happens.
Pipe: only the final answer. --json: the answer plus every step with its timings.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from lamp.agent.errors import StepLimitReached
from lamp.agent.models import Backend, Sampling
from lamp.agent.react.answer import ToolsRequest, run_with_tools

from .approval import make_approver
from .mcp import starting_servers
from .render import renderer_for, warn

if TYPE_CHECKING:
    from lamp.agent.config.settings import Settings
    from lamp.agent.models.catalog import Preset

    from .options import RouteChoice, ToolFormatChoice
    from .runtime import Runtime

__all__ = ["run_tools", "start_servers", "step_format", "tool_routing"]


def step_format(choice: ToolFormatChoice, settings: Settings) -> str:
    """``--tool-format``: ``auto`` is the format measured best for the model's preset
    (``Preset.tool_format``); a model lamp knows nothing about, or one behind an HTTP
    server, gets the model's own (native) format."""
    if choice != "auto":
        return choice
    preset = _known_preset(settings)
    return preset.tool_format if preset is not None else "native"


def tool_routing(choice: RouteChoice, settings: Settings) -> bool:
    """``--route``: whether the agent first asks if the question needs a tool at all
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


def start_servers(rt: Runtime, request: ToolsRequest, *, show: bool) -> None:
    """Start the MCP servers ``request`` names (and check SERVER.TOOL names) before the model
    loads, so a server that cannot start fails the command in seconds. Their tools are
    kept, and ``run_tools`` uses them; nothing starts when no server is named.

    First the sandbox policy (``rt.sandbox_policy``): where it finds no isolating layer
    for the python tool or a named stdio server, the command stops here with one line
    and exit 2, before anything starts or the model loads."""
    from lamp.agent.tools import select_tools

    if _runs_python(request):
        rt.require_sandbox("the python tool (model-written code)")
    source = rt.mcp_tools()
    names = request.tool_names() or []
    if source is None or not any(source.owns(n) for n in names):
        return
    from lamp.agent.sandbox import require_isolation

    for name in {n.partition(".")[0] for n in names if source.owns(n)}:
        if source.hub.servers[name].transport == "stdio":
            require_isolation(rt.sandbox_policy, f"MCP server {name!r}", as_sandbox_uid=False)
    with starting_servers(show):
        select_tools(names, allow=request.allow, source=source)


def _runs_python(request: ToolsRequest) -> bool:
    """Whether the request selects the python tool (by name, through --allow, or as one of
    the tools on by default)."""
    from lamp.agent.tools import load_tools

    names = request.tool_names()
    if names is None:
        python = load_tools().get("python")
        return (python is not None and python.enabled_by_default) or "python" in request.allow
    return "python" in names or "python" in request.allow


def run_tools(rt: Runtime, backend: Backend, question: str, request: ToolsRequest,
              sampling: Sampling, *, approve: str = "ask", sandbox_policy: str | None = None,
              json_out: bool = False, quiet: bool = False, started: float) -> str:
    """Run the agent, render it, and return the final answer text."""
    memory = rt.memory
    source = rt.mcp_tools()
    starts = source is not None and any(source.owns(n) for n in request.tool_names() or ())
    with starting_servers(starts and not (json_out or quiet)):
        run = run_with_tools(backend, question, request, sampling, chosen=rt.chosen,
                             sandbox=rt.sandbox(sandbox_policy),
                             memory_store=memory.store if memory is not None else None,
                             approve=make_approver(approve), tool_source=source)
    for message in source.warnings if source is not None else ():
        if message not in rt.said:
            rt.said.add(message)
            warn(message)
    payload: dict[str, Any] = {"tools": [t.name for t in run.tools], "format": run.fmt.name,
                               "route": request.route}
    renderer = renderer_for(json_out=json_out, quiet=quiet, verbose=rt.verbose, stream=False,
                            said=rt.said)
    try:
        result = renderer.render(run.events)
    except StepLimitReached as exc:
        if json_out:
            renderer.emit({**payload, "answer": exc.partial_answer, "stopped": "step limit",
                           "steps": exc.steps, "warnings": renderer.result.notices,
                           "timings": {"total_s": time.perf_counter() - started}})
        renderer.partial(exc.partial_answer)
        raise
    usage = result.usage
    if json_out:
        steps = result.final.steps if result.final is not None else []
        renderer.emit({**payload, "answer": result.answer, "steps": steps,
                       "warnings": result.notices,
                       "usage": {"prompt_tokens": usage.prompt_tokens if usage else 0,
                                 "completion_tokens": usage.completion_tokens if usage else 0},
                       "timings": {"total_s": round(time.perf_counter() - started, 4)}})
    else:
        renderer.finish(result.answer)
    return result.answer

