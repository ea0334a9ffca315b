"""MCP: other servers' tools in lamp (each server confined), and lamp's tools for others.

    from lamp.agent.mcp import McpTools, parse_servers

    source = McpTools.from_config(parse_servers(config["mcp"]))
    tools = select_tools(["files"], source=source)   # starts the `files` server, confined
    ...
    source.close()                                    # every server process is gone

See docs/tools.md (configuration, confinement) and ``lamp mcp serve``.
"""

from __future__ import annotations

from .adapter import SchemaUnsupported, adapt_schema, observation, tool_class
from .client import Connection, McpError, McpHub, RemoteTool
from .config import ServerConfig, parse_servers
from .confine import Launch, Policy, policy_for, prepare_launch
from .serve import Services, build_server
from .tools import McpTools

__all__ = [
    "Connection",
    "Launch",
    "McpError",
    "McpHub",
    "McpTools",
    "Policy",
    "RemoteTool",
    "SchemaUnsupported",
    "ServerConfig",
    "Services",
    "adapt_schema",
    "build_server",
    "observation",
    "parse_servers",
    "policy_for",
    "prepare_launch",
    "tool_class",
]
