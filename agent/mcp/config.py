"""What the config file says about MCP servers: how to start or reach each, and its policy.

    [mcp.servers.files]
    command = "python3"
    args = ["files_server.py"]
    env = { LOG_LEVEL = "warning" }
    read = ["~/notes"]          # may read (and execute) these, besides the runtime it needs
    write = []                  # may write these, besides its own temp dir
    network = false             # may open IP sockets (never Unix sockets)
    memory_mb = 1024            # address-space limit
    cpu_seconds = 300           # CPU time limit for the server's whole life
    processes = 256             # processes and threads it may run at once
    trusted = false             # believe its readOnlyHint annotations (tools run unasked)
    timeout = 60                # seconds one tool call may take

    [mcp.servers.remote]
    url = "http://127.0.0.1:8000/mcp"   # streamable HTTP: lamp starts nothing, confines nothing

Everything is checked when the file is read: a typo in a policy must not quietly
give a server more (or less) than the person meant.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError

__all__ = ["SERVER_NAME", "ServerConfig", "parse_servers"]

SERVER_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
_STDIO_KEYS = {"command", "args", "env", "read", "write", "network", "memory_mb",
               "cpu_seconds", "processes", "timeout", "startup_timeout", "trusted"}
_HTTP_KEYS = {"url", "headers", "timeout", "startup_timeout", "trusted"}


@dataclass(frozen=True)
class ServerConfig:
    """One configured server. ``command`` for a stdio server lamp starts confined, ``url``
    for a streamable-HTTP one it only connects to."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    network: bool = False
    memory_mb: int = 1024
    cpu_seconds: int = 300
    processes: int = 256
    # The server's own readOnlyHint is believed only when the person says so: any server
    # can claim it. Untrusted, only lamp's policy (Policy.read_only) lets a tool run unasked.
    trusted: bool = False
    timeout: float = 60.0
    startup_timeout: float = 30.0
    # Not a key of the server's table: lamp's `sandbox` setting (or --sandbox), which
    # decides whether a stdio server may start without an isolating layer (confine.py).
    sandbox: str = "auto"

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"


def parse_servers(table: Any, origin: str = "config") -> dict[str, ServerConfig]:
    """``[mcp.servers.NAME]`` tables into configs; a UsageError (exit 2) names what is wrong."""
    if table in (None, {}):
        return {}
    if not isinstance(table, Mapping) or set(table) - {"servers"}:
        raise UsageError(f"{origin}: [mcp] holds only [mcp.servers.NAME] tables")
    servers = table.get("servers", {})
    if not isinstance(servers, Mapping):
        raise UsageError(f"{origin}: [mcp.servers] must be a table of servers")
    return {name: _one(name, spec, f"{origin}: [mcp.servers.{name}]")
            for name, spec in servers.items()}


def _one(name: str, spec: Any, where: str) -> ServerConfig:
    if not SERVER_NAME.match(name):
        raise UsageError(f"{where}: a server name is lower case letters, digits, - and _ "
                         "(it prefixes the tool names: NAME.TOOL)")
    from ..tools.registry import BUILTIN_TOOLS

    if name in BUILTIN_TOOLS:
        raise UsageError(f"{where}: {name!r} is a built-in tool's name; name the server "
                         "something else")
    if not isinstance(spec, Mapping):
        raise UsageError(f"{where} must be a table")
    if ("command" in spec) == ("url" in spec):
        raise UsageError(f"{where}: give exactly one of command (stdio) or url (HTTP)")
    allowed = _HTTP_KEYS if "url" in spec else _STDIO_KEYS
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r} (known: "
                         f"{', '.join(sorted(allowed))})")
    values: dict[str, Any] = {"name": name}
    for key, value in spec.items():
        values[key] = _check(key, value, where)
    if "url" in values and not values["url"].startswith(("http://", "https://")):
        raise UsageError(f"{where}: url must start with http:// or https://")
    return ServerConfig(**values)


def _check(key: str, value: Any, where: str) -> Any:
    def bad(kind: str) -> UsageError:
        return UsageError(f"{where}: {key} must be {kind}, got {value!r}")

    if key in ("command", "url"):
        if not isinstance(value, str) or not value.strip():
            raise bad("a non-empty string")
        return value
    if key in ("args", "read", "write"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if key == "args":
            return tuple(value)
        return tuple(os.path.abspath(os.path.expanduser(v)) for v in value)
    if key in ("env", "headers"):
        if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise bad("a table of strings")
        return dict(value)
    if key in ("network", "trusted"):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if key in ("memory_mb", "cpu_seconds", "processes"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad("a positive whole number")
        if key == "memory_mb" and value < 64:
            raise UsageError(f"{where}: memory_mb must be at least 64")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise bad("a positive number of seconds")
    return float(value)
