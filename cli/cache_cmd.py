"""`lamp cache`: the persistent prompt-prefix cache (KV states of fixed prompt prefixes and
of attached material)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .common import caller_of, echo
from .render import print_json

if TYPE_CHECKING:
    from lamp.agent.app.output import Caller
    from lamp.agent.models.prefix_cache import PrefixCache

__all__ = ["app"]

app = typer.Typer(help="The prompt-prefix cache: saved KV states of fixed prompt prefixes "
                  "and attached material.",
                  no_args_is_help=True)


def _cache(caller: Caller) -> PrefixCache:
    """The cache in the caller's cache dir, capped by their ``cache_max_mb`` setting."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.config.settings import load_settings
    from lamp.agent.models.prefix_cache import PrefixCache

    return PrefixCache(Paths(caller.env).cache_dir() / "prefix",
                       load_settings(env=caller.env).cache_max_mb * 1024 * 1024)


@app.command()
def info(ctx: typer.Context,
         json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Where the cache is, how many entries, how much disk, and the cap."""
    caller = caller_of(ctx)
    cache = _cache(caller)
    entries = cache.entries()
    facts = {"directory": str(cache.directory), "entries": len(entries),
             "bytes": sum(e.size for e in entries), "max_bytes": cache.max_bytes}
    if json_out:
        print_json(facts, caller.output.stdout, indent=2, ensure_ascii=True)
        return
    echo(caller.output, f"directory  {facts['directory']}\nentries    {facts['entries']}\n"
         f"size       {facts['bytes'] / 1e6:.1f} MB of {facts['max_bytes'] / 1e6:.0f} MB")


@app.command()
def clear(ctx: typer.Context) -> None:
    """Delete every cached prefix state (they are rebuilt on demand)."""
    caller = caller_of(ctx)
    echo(caller.output, f"removed {_cache(caller).clear()} cached prefix state(s)")
