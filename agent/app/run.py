"""``answer(request, runtime)``: the one entry every mode goes through.

The CLI, `lamp serve`, `lamp mcp serve`, the benchmarks and programs that embed
lamp hand a typed request (requests.py) and a Runtime to this function and get
back a ``Run``: its events to show as they come, and its ``RunResult`` folded
from them (result.py). What a mode does lives in its own module (ask.py,
tools.py, pal.py; ``--each`` in each.py, chat turns in chat.py). Each run is
handed to the command's run log (runlog.py), written when the command ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lamp.agent.errors import UsageError

from .requests import AskRequest, PalRequest, ToolsRequest

if TYPE_CHECKING:
    from .requests import Request
    from .result import Run
    from .runtime import Runtime

__all__ = ["answer"]


def answer(request: Request, rt: Runtime) -> Run:
    """Start answering ``request`` on ``rt``; checks that need no model (flags, sandbox
    policy, MCP servers) fail here, before it loads."""
    run = _start(request, rt)
    if rt.log is not None:  # written when the command ends, however far the run gets
        rt.log.track(run, request)
    return run


def _start(request: Request, rt: Runtime) -> Run:
    if isinstance(request, ToolsRequest):
        from .tools import answer_tools

        return answer_tools(request, rt)
    if isinstance(request, PalRequest):
        from .pal import answer_pal

        return answer_pal(request, rt)
    if isinstance(request, AskRequest):  # plain, templated, --docs, --schema, -f
        from .ask import answer_ask

        return answer_ask(request, rt)
    raise UsageError(f"lamp cannot answer a {type(request).__name__} here")
