"""`lamp tools`: the tools the ReAct agent can use: built in, from plugins, from MCP servers.

Names, descriptions and schemas come from plugins and MCP servers, not from lamp:
the text output shows them through ``lamp.agent.visible_text`` so that an escape
sequence in a description cannot rewrite the terminal.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lamp.agent.visible_text import visible

from .common import caller_of, echo

if TYPE_CHECKING:
    from lamp.agent.app.output import Output

__all__ = ["app"]

app = typer.Typer(help="Tools for `lamp ask --tools`: built-ins, plugins and MCP servers.",
                  no_args_is_help=True)

JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON, with input schemas.")]


@app.command("list")
def list_tools(ctx: typer.Context, json_out: JsonOut = False) -> None:
    """Every tool lamp knows: built-ins, installed plugins, and the tools of each MCP server
    in the config file (each server is started, confined, to list them, then stopped)."""
    from lamp.agent.config.settings import load_settings
    from lamp.agent.mcp import McpTools
    from lamp.agent.tools import load_tools

    from .render import print_json

    caller = caller_of(ctx)
    output = caller.output
    settings = load_settings(env=caller.env)
    registry = load_tools()
    warnings = list(registry.warnings)
    rows = [_row(registry.origin(name), cls) for name, cls in registry.items()]
    servers: dict[str, Any] = {}
    if settings.mcp_servers:
        source = McpTools.from_config(settings.mcp_servers)
        try:
            for server in source.servers:
                try:
                    with _starting_servers(output, not json_out):
                        classes = source.tools(server)
                    rows += [_row(f"mcp:{server}", cls) for cls in classes]
                    servers[server] = {"ok": True}
                except Exception as exc:  # one broken server must not hide the others
                    warnings.append(f"MCP server {server!r}: {_one_line(exc)}")
                    servers[server] = {"ok": False, "error": _one_line(exc)}
            warnings += source.warnings
        finally:
            source.close()
    for warning in warnings:
        output.warn(warning)
    if json_out:
        print_json({"tools": rows, "mcp_servers": servers, "warnings": warnings},
                   output.stdout, indent=2)
        return
    width = max(len(r["name"]) for r in rows)
    lines = []
    for r in rows:
        asks = "asks before running" if r["needs_approval"] else \
            f"asks for {r['asks_when']}" if r["asks_when"] else ""
        notes = [n for n in ("off by default" if not r["enabled_by_default"] else "", asks,
                             f"{r['origin']}: {r['package']}" if r["package"] else "") if n]
        lines.append(visible(f"{r['name']:<{width}}  {r['description']}"
                             + (f"  [{'; '.join(notes)}]" if notes else "")))
        if r["origin"] == "mcp":
            lines.append(visible(f"{'':<{width}}  input: {_short_schema(r['input_schema'])}"))
    echo(output, *lines, "\nenable a tool that is off by default with --allow NAME; use an MCP "
         "server's tools with --tools SERVER or SERVER.TOOL; add your own: docs/tools.md")


@app.command("info")
def info(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A tool, or an MCP server from the config file.")],
    json_out: JsonOut = False,
) -> None:
    """One tool's description and schema; for an MCP server, its confinement policy, the
    layers this machine enforces it with (confirmed by starting it) and its tools."""
    from lamp.agent.config.settings import load_settings
    from lamp.agent.errors import UsageError
    from lamp.agent.tools import load_tools

    from .render import print_json

    caller = caller_of(ctx)
    output = caller.output
    settings = load_settings(env=caller.env)
    registry = load_tools()
    if name in settings.mcp_servers and name not in registry:
        _server_info(output, name, settings.mcp_servers, json_out)
        return
    server = name.partition(".")[0]
    if name not in registry and server in settings.mcp_servers:
        row = _mcp_tool_row(output, name, settings.mcp_servers)
    elif name not in registry:
        known = ", ".join([*registry, *settings.mcp_servers])
        raise UsageError(f"no tool or MCP server named {name!r} (known: {known})")
    else:
        row = _row(registry.origin(name), registry[name])
    if json_out:
        print_json(row, output.stdout, indent=2)
        return
    import json

    asks = "yes" if row["needs_approval"] else \
        f"for {row['asks_when']}" if row["asks_when"] else "no"
    echo(output, visible(f"{row['name']}: {row['description']}"),
         f"origin: {row['package'] or row['origin']}; asks before running: {asks}; "
         f"timeout {row['timeout']:g} s",
         visible("input schema: " + json.dumps(row["input_schema"], ensure_ascii=False)))


def _starting_servers(output: Output, show: bool) -> AbstractContextManager[object]:
    """A spinner on the caller's stderr while MCP servers start (a second or more each),
    only on a terminal: in a pipe lamp stays silent."""
    from .runtime import spinner_for

    spin = spinner_for(output) if show else None
    return spin("starting MCP servers…") if spin is not None else nullcontext()


def _mcp_tool_row(output: Output, name: str, servers: dict[str, Any]) -> dict[str, Any]:
    """One MCP tool's row (its server is started to list it, then stopped)."""
    from lamp.agent.mcp import McpTools

    source = McpTools.from_config(servers)
    try:
        with _starting_servers(output, True):
            cls = source.resolve(name)[0]
        return _row(f"mcp:{name.partition('.')[0]}", cls)
    finally:
        source.close()


def _server_info(output: Output, name: str, servers: dict[str, Any], json_out: bool) -> None:
    from lamp.agent.mcp import McpError, McpTools, policy_for

    from .render import print_json

    cfg = servers[name]
    out: dict[str, Any] = {"server": name, "transport": cfg.transport}
    lines = [f"MCP server {name} ({cfg.transport})"]
    if cfg.transport == "http":
        out["url"] = cfg.url
        lines += [f"url: {cfg.url}",
                  "confinement: none by lamp (a remote server runs wherever it runs)"]
    else:
        policy = policy_for(cfg)
        out["policy"] = policy.to_dict()
        lines += policy.lines()
    source = McpTools.from_config(servers)
    error = None
    try:
        with _starting_servers(output, not json_out):
            tools = source.tools(name)
        conn = source.hub.connect(name)
        if conn.launch is not None:
            out["confirmed_layers"] = list(conn.layers)
            lines.append("confirmed from inside the started server: "
                         + (", ".join(conn.layers) or "nothing"))
        out["tools"] = [_row(f"mcp:{name}", cls) for cls in tools]
        lines += [f"tool {cls.name}: {cls.description}"
                  + ("" if cls.needs_approval else "  [read-only: runs without asking]")
                  for cls in tools]
    except McpError as exc:
        error = str(exc)
        out["error"] = error
    finally:
        source.close()
    for warning in source.warnings:
        output.warn(warning)
    if json_out:
        print_json(out, output.stdout, indent=2)
    else:
        echo(output, *(visible(line) for line in lines))
    if error is not None:
        raise McpError(error)


def _row(origin: str, cls: Any) -> dict[str, Any]:
    kind = "mcp" if origin.startswith("mcp:") else "built-in" if origin == "built-in" \
        else "plugin"
    package = origin.removeprefix("mcp:") if kind != "built-in" else None
    return {"name": cls.name, "description": cls.description,
            "needs_approval": cls.needs_approval,
            "asks_when": getattr(cls, "asks_when", None),
            "enabled_by_default": cls.enabled_by_default,
            "origin": kind, "package": package,
            "timeout": cls.timeout, "input_schema": cls.input_schema}


def _short_schema(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    parts = [f"{key}{'' if key in required else '?'}: {sub.get('type', '?')}"
             for key, sub in schema.get("properties", {}).items()]
    return "{" + ", ".join(parts) + "}"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
