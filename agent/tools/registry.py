"""Which tools exist (built-ins plus plugins) and which ones a run may use.

Plugins are Python distributions that declare an entry point in the group
``lamp.tools`` (see docs/tools.md). They feed the same table as the built-ins,
so the loop, ``lamp tools list`` and ``--tools`` treat both alike. A plugin that
fails to import, or is not a valid tool, is skipped with a warning rather than
taking lamp down with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol

from ..errors import UsageError
from .base import Tool
from .builtins import (
    CalculatorTool,
    ListDirTool,
    PythonTool,
    ReadFileTool,
    SearchMemoryTool,
    ShellTool,
)

__all__ = ["BUILTIN", "BUILTIN_TOOLS", "ENTRY_POINT_GROUP", "Registry", "ToolSource",
           "load_tools", "select_tools"]

ENTRY_POINT_GROUP = "lamp.tools"
BUILTIN = "built-in"

BUILTIN_TOOLS: dict[str, type[Tool]] = {
    cls.name: cls
    for cls in (PythonTool, CalculatorTool, ReadFileTool, ListDirTool, SearchMemoryTool,
                ShellTool)
}


@dataclass(frozen=True)
class Registry(Mapping[str, type[Tool]]):
    """The tools lamp knows, by name (a read-only mapping of name to Tool class), with
    where each came from and the warnings about plugins that were skipped.

    ``origins[name]`` is ``"built-in"`` or the name of the distribution (package)
    that registered the tool.
    """

    tools: dict[str, type[Tool]]
    origins: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __getitem__(self, name: str) -> type[Tool]:
        return self.tools[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    def origin(self, name: str) -> str:
        return self.origins.get(name, BUILTIN)


class ToolSource(Protocol):
    """Tools known only at run time (MCP servers, ``lamp.agent.mcp.McpTools``): names the
    registry does not hold are looked up here, and only then is anything started."""

    @property
    def servers(self) -> list[str]: ...

    def owns(self, name: str) -> bool: ...

    def resolve(self, name: str) -> list[type[Tool]]: ...


def load_tools(include_plugins: bool = True) -> Registry:
    """Built-ins, then every tool registered in the ``lamp.tools`` entry point group.

    An entry point may name a Tool subclass or a plain typed function (wrapped with
    ``Tool.from_function``). The tool's own ``name`` is what the model calls it by.
    A plugin cannot replace a built-in or an earlier plugin's tool: it is skipped,
    with a warning in ``Registry.warnings``, as is one that fails to load.
    """
    tools = dict(BUILTIN_TOOLS)
    origins = dict.fromkeys(tools, BUILTIN)
    warnings: list[str] = []
    if include_plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = _dist_name(ep)
            try:
                cls = _tool_class(ep.load())
            except Exception as exc:
                warnings.append(f"plugin tool {ep.name!r} from {dist} was skipped: "
                                f"{type(exc).__name__}: {exc}")
                continue
            if tools.get(cls.name) is cls:  # the same class registered twice: harmless
                continue
            if cls.name in tools:
                warnings.append(f"plugin tool {ep.name!r} from {dist} was skipped: the name "
                                f"{cls.name!r} is already taken by {origins[cls.name]}")
                continue
            tools[cls.name] = cls
            origins[cls.name] = dist
    return Registry(tools, origins, tuple(warnings))


def select_tools(names: Sequence[str] | None, allow: Sequence[str] = (), *,
                 registry: Registry | None = None, source: ToolSource | None = None
                 ) -> list[Tool]:
    """Instances of the tools a run may use.

    ``names`` None means every tool enabled by default. A tool that is off by default
    (shell) is usable only when named in ``allow``; naming it there also adds it to
    the selection (``--allow shell`` enables it). Unknown names are a UsageError
    (exit 2) that lists the known ones. ``registry`` defaults to ``load_tools()``.
    ``source`` adds MCP servers: ``SERVER`` selects all its tools, ``SERVER.TOOL`` one
    (the server starts here); they are never part of the default set.
    """
    reg = registry if registry is not None else load_tools()
    servers = list(source.servers) if source is not None else []
    known = ", ".join(sorted(reg)) + ("; MCP servers: " + ", ".join(servers) if servers else "")
    for label, group in (("--tools", names or ()), ("--allow", allow)):
        unknown = [n for n in group if n not in reg
                   and not (label == "--tools" and source is not None and source.owns(n))]
        if unknown:
            listed = ", ".join(repr(n) for n in unknown)
            raise UsageError(f"unknown tool {listed} in {label} (known: {known})")
    requested = [n for n, cls in reg.items() if cls.enabled_by_default] if names is None \
        else list(names)
    classes: dict[str, type[Tool]] = {}
    for name in [*requested, *allow]:
        if name not in reg and source is not None:  # an MCP server or one of its tools
            for cls in source.resolve(name):
                classes.setdefault(cls.name, cls)
            continue
        if name in classes:
            continue
        if not reg[name].enabled_by_default and name not in allow:
            raise UsageError(f"tool {name!r} is off by default; enable it with --allow {name}")
        classes[name] = reg[name]
    return [cls() for cls in classes.values()]


def _tool_class(obj: object) -> type[Tool]:
    if isinstance(obj, type) and issubclass(obj, Tool):
        return obj
    if callable(obj) and not isinstance(obj, type):
        return Tool.from_function(obj)
    raise TypeError(f"{obj!r} is neither a Tool subclass nor a function")


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return dist.name if dist is not None else f"module {ep.value.split(':')[0]}"
