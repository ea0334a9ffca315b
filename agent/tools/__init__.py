"""Tools the ReAct agent can call: the Tool base class, the runner, the registry.

    from lamp.agent.tools import ToolContext, run_tool, select_tools

    tools = select_tools(["python", "calculator"])
    outcome = run_tool(tools[1], {"expression": "2 ** 200"}, ToolContext(cwd=Path.cwd()))

See docs/tools.md for writing a plugin tool.
"""

from __future__ import annotations

from .base import (
    ApprovalRequest,
    Approver,
    DecidingApprover,
    Decision,
    Tool,
    ToolContext,
    ToolError,
    deny_all,
    validate_args,
)
from .registry import (
    BUILTIN_TOOLS,
    ENTRY_POINT_GROUP,
    Registry,
    ToolSource,
    load_tools,
    select_tools,
)
from .runner import OUTPUT_LIMIT, ToolOutcome, cap_output, run_tool

__all__ = [
    "BUILTIN_TOOLS",
    "ENTRY_POINT_GROUP",
    "OUTPUT_LIMIT",
    "ApprovalRequest",
    "Approver",
    "DecidingApprover",
    "Decision",
    "Registry",
    "Tool",
    "ToolContext",
    "ToolError",
    "ToolOutcome",
    "ToolSource",
    "cap_output",
    "deny_all",
    "load_tools",
    "run_tool",
    "select_tools",
    "validate_args",
]
