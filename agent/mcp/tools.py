"""The MCP side of the tool table: configured server names, and their tools once asked for.

Built-ins and plugins are classes known at import; an MCP server's tools are
known only after it starts. ``McpTools`` is what ``select_tools`` and ``lamp
tools list`` consult for names the registry does not hold: a server name means
all its tools, ``SERVER.TOOL`` one of them. A server starts only when one of its
names is selected or listed, never for a plain ``lamp ask``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..tools import Tool
from .adapter import SchemaUnsupported, tool_class
from .client import McpHub
from .config import ServerConfig

__all__ = ["McpTools"]


@dataclass
class McpTools:
    """Tool classes of the configured servers, made on first use from their listings."""

    hub: McpHub
    warnings: list[str] = field(default_factory=list)
    _classes: dict[str, list[type[Tool]]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, servers: Mapping[str, ServerConfig]) -> McpTools:
        return cls(McpHub(servers))

    @property
    def servers(self) -> list[str]:
        return list(self.hub.servers)

    def owns(self, name: str) -> bool:
        """True when ``name`` is a server (all its tools) or ``SERVER.TOOL`` of one."""
        return name in self.hub.servers or name.partition(".")[0] in self.hub.servers

    def tools(self, server: str) -> list[type[Tool]]:
        """Every usable tool of ``server`` (starting it); a tool whose input schema lamp
        cannot enforce is left out with a warning."""
        if server not in self._classes:
            conn = self.hub.connect(server)
            if conn.policy is not None and "L1" not in conn.layers:
                unenforced = [f"{what} {how}" for what, how in conn.policy.enforcement.items()
                              if how.startswith("NOT")]
                self.warnings.append(
                    f"MCP SERVER {server!r} RUNS WEAKER THAN STRICT: no Landlock + seccomp "
                    f"(layers {', '.join(conn.layers) or 'none confirmed'})"
                    + (f"; {'; '.join(unenforced)}" if unenforced else ""))
            hint = f"denied by lamp's confinement of MCP server {server!r}; see " \
                   f"`lamp tools info {server}`" if conn.launch is not None else ""
            made: list[type[Tool]] = []
            for remote in conn.tools:
                try:
                    made.append(tool_class(server, remote, self._caller(server),
                                           timeout=conn.config.timeout, denial_hint=hint,
                                           trusted=conn.config.trusted,
                                           confined_read_only=conn.read_only))
                except (SchemaUnsupported, TypeError) as exc:
                    self.warnings.append(f"MCP tool {server}.{remote.name} is not available: "
                                         f"its input schema has {exc}")
            self._classes[server] = made
        return self._classes[server]

    def resolve(self, name: str) -> list[type[Tool]]:
        """The tool classes ``name`` stands for (a UsageError for an unknown SERVER.TOOL)."""
        if name in self.hub.servers:
            return self.tools(name)
        server, _, tool = name.partition(".")
        found = [c for c in self.tools(server) if c.name == name]
        if not found:
            known = ", ".join(c.name for c in self.tools(server)) or "none"
            raise UsageError(f"MCP server {server!r} has no tool {tool!r} (it has: {known})")
        return found

    def _caller(self, server: str) -> Any:
        hub = self.hub
        timeout = hub.servers[server].timeout

        def call(tool: str, args: dict[str, Any]) -> Any:
            return hub.call(server, tool, args, timeout)

        return call

    def close(self) -> None:
        self.hub.close()
