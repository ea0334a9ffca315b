"""`lamp config`: the effective settings and where each one came from."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .render import print_json

__all__ = ["app"]

app = typer.Typer(help="Settings: TOML file, LAMP_* env vars, flags (flags win).",
                  no_args_is_help=True)


@app.command()
def show(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print every setting, its value and its source."""
    from lamp.agent.config import paths
    from lamp.agent.config.settings import load_settings

    settings = load_settings()
    rows = {k: {"value": v, "source": settings.sources[k]} for k, v in settings.as_dict().items()}
    if json_out:
        payload = {"config_file": str(paths.config_file()), "settings": rows}
        print_json(payload, indent=2, ensure_ascii=True)
        return
    typer.echo(f"config file: {paths.config_file()}")
    width = max(len(k) for k in rows)
    for key, row in rows.items():
        value = row["value"]
        shown = json.dumps(value) if isinstance(value, str) else str(value)
        if len(shown) > 60:
            shown = shown[:57] + "...\""
        typer.echo(f"{key:<{width}}  {shown:<62} {row['source']}")


@app.command()
def path() -> None:
    """Print the config file's path."""
    from lamp.agent.config import paths

    typer.echo(str(paths.config_file()))
