"""`lamp tools`: the tools the ReAct agent can use, built in and from plugins."""

from __future__ import annotations

from typing import Annotated, Any

import typer

__all__ = ["app"]

app = typer.Typer(help="Tools for `lamp ask --tools`: built-ins and plugins.",
                  no_args_is_help=True)


@app.command("list")
def list_tools(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON, with input schemas.")]
    = False,
) -> None:
    """Every tool lamp knows: built-ins and those registered by installed plugin packages."""
    from lamp.agent.tools import load_tools

    from .render import print_json, warn

    registry = load_tools()
    for warning in registry.warnings:
        warn(warning)
    rows = [_row(registry.origin(name), cls) for name, cls in registry.items()]
    if json_out:
        print_json({"tools": rows, "warnings": list(registry.warnings)}, indent=2)
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        notes = [n for n in ("off by default" if not r["enabled_by_default"] else "",
                             "asks before running" if r["needs_approval"] else "",
                             f"plugin: {r['package']}" if r["package"] else "") if n]
        typer.echo(f"{r['name']:<{width}}  {r['description']}"
                   + (f"  [{'; '.join(notes)}]" if notes else ""))
    typer.echo("\nenable a tool that is off by default with --allow NAME; "
               "add your own: docs/tools.md (entry point group lamp.tools)")


def _row(origin: str, cls: Any) -> dict[str, Any]:
    plugin = origin != "built-in"
    return {"name": cls.name, "description": cls.description,
            "needs_approval": cls.needs_approval, "enabled_by_default": cls.enabled_by_default,
            "origin": "plugin" if plugin else "built-in", "package": origin if plugin else None,
            "timeout": cls.timeout, "input_schema": cls.input_schema}
