"""`lamp config`: the effective settings and where each one came from."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import caller_of, echo
from .render import print_json

__all__ = ["app"]

app = typer.Typer(help="Settings: TOML file, LAMP_* env vars, flags (flags win).",
                  no_args_is_help=True)


@app.command()
def show(ctx: typer.Context,
         json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print every setting, its value and its source."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.config.settings import load_settings

    caller = caller_of(ctx)
    output = caller.output
    config_file = Paths(caller.env).config_file()
    settings = load_settings(env=caller.env)
    rows = {k: {"value": v, "source": settings.sources[k]} for k, v in settings.as_dict().items()}
    if json_out:
        payload = {"config_file": str(config_file), "settings": rows}
        print_json(payload, output.stdout, indent=2, ensure_ascii=True)
        return
    lines = [f"config file: {config_file}"]
    width = max(len(k) for k in rows)
    for key, row in rows.items():
        value = row["value"]
        shown = json.dumps(value) if isinstance(value, str) else str(value)
        if len(shown) > 60:
            shown = shown[:57] + "...\""
        lines.append(f"{key:<{width}}  {shown:<62} {row['source']}")
    echo(output, *lines)


@app.command()
def path(ctx: typer.Context) -> None:
    """Print the config file's path."""
    from lamp.agent.config.paths import Paths

    caller = caller_of(ctx)
    echo(caller.output, str(Paths(caller.env).config_file()))
