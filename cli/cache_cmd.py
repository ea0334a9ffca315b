"""`lamp cache`: the persistent prompt-prefix cache (KV states of fixed prompt prefixes)."""

from __future__ import annotations

from typing import Annotated

import typer

from .render import print_json

__all__ = ["app"]

app = typer.Typer(help="The prompt-prefix cache: saved KV states of fixed prompt prefixes.",
                  no_args_is_help=True)


def _cache():
    from lamp.agent.config import paths
    from lamp.agent.config.settings import load_settings
    from lamp.agent.models.prefix_cache import PrefixCache

    return PrefixCache(paths.cache_dir() / "prefix", load_settings().cache_max_mb * 1024 * 1024)


@app.command()
def info(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Where the cache is, how many entries, how much disk, and the cap."""
    cache = _cache()
    entries = cache.entries()
    facts = {"directory": str(cache.directory), "entries": len(entries),
             "bytes": sum(e.size for e in entries), "max_bytes": cache.max_bytes}
    if json_out:
        print_json(facts, indent=2, ensure_ascii=True)
        return
    typer.echo(f"directory  {facts['directory']}\nentries    {facts['entries']}\n"
               f"size       {facts['bytes'] / 1e6:.1f} MB of {facts['max_bytes'] / 1e6:.0f} MB")


@app.command()
def clear() -> None:
    """Delete every cached prefix state (they are rebuilt on demand)."""
    typer.echo(f"removed {_cache().clear()} cached prefix state(s)")
