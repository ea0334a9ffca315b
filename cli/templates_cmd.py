"""`lamp templates`: the built-in prompt templates and the user's own."""

from __future__ import annotations

from typing import Annotated

import typer

from .render import print_json

__all__ = ["app"]

app = typer.Typer(help="Prompt templates for `lamp ask -t NAME`.", no_args_is_help=True)


@app.command("list")
def list_templates(
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Built-in templates and those in <config dir>/templates/*.toml."""
    from lamp.agent.config import paths
    from lamp.agent.templates import load_templates

    user_dir = paths.config_dir() / "templates"
    templates = load_templates(user_dir)
    if json_out:
        print_json([{"name": t.name, "description": t.description, "origin": t.origin}
                    for t in templates.values()], indent=2, ensure_ascii=True)
        return
    width = max(len(n) for n in templates)
    for t in templates.values():
        typer.echo(f"{t.name:<{width}}  {t.description}" + ("" if t.origin == "built-in"
                                                         else f"  [{t.origin}]"))
    typer.echo(f"\nyour templates: {user_dir}/NAME.toml (fields: description, system, user, "
               "examples, temperature, defaults)")
