"""`lamp templates`: the built-in prompt templates and the user's own."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import caller_of, echo
from .render import print_json

__all__ = ["app"]

app = typer.Typer(help="Prompt templates for `lamp ask -t NAME`.", no_args_is_help=True)


@app.command("list")
def list_templates(
    ctx: typer.Context,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Built-in templates and those in <config dir>/templates/*.toml."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.templates import load_templates

    caller = caller_of(ctx)
    user_dir = Paths(caller.env).config_dir() / "templates"
    templates = load_templates(user_dir)
    if json_out:
        print_json([{"name": t.name, "description": t.description, "origin": t.origin}
                    for t in templates.values()], caller.output.stdout, indent=2,
                   ensure_ascii=True)
        return
    width = max(len(n) for n in templates)
    lines = [f"{t.name:<{width}}  {t.description}"
             + ("" if t.origin == "built-in" else f"  [{t.origin}]") for t in templates.values()]
    echo(caller.output, *lines, f"\nyour templates: {user_dir}/NAME.toml (fields: description, "
         "system, user, examples, temperature, defaults)")
