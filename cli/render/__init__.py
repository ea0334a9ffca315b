"""One family of renderers for every command that answers (ask, chat, pal, tool runs).

    RichRenderer   a terminal: live Markdown, tool steps in panels      (terminal.py)
    PlainRenderer  a pipe: plain text, no escape codes                  (plain.py)
    JsonRenderer   --json: one JSON object at the end                   (structured.py)

Each shows a run's typed events (lamp.agent.events) on the caller's Output as
they come and returns the run's ``RunResult`` (folded by the run itself,
lamp.agent.app.result); renderers only render, the agent never prints. Shared rules
(notices, warnings, ``print_json`` for every --json object) live in ``_base.py``;
error lines and exit codes in cli/errors.py.
"""

from __future__ import annotations

from lamp.agent.app.output import Output

from ._base import Renderer, print_json
from .plain import PlainRenderer
from .structured import JsonRenderer, result_json
from .terminal import RichRenderer

__all__ = ["JsonRenderer", "PlainRenderer", "Renderer", "RichRenderer", "print_json",
           "renderer_for", "result_json"]


def renderer_for(output: Output, *, json_out: bool = False, quiet: bool = False,
                 verbose: bool = False, stream: bool = True,
                 said: set[str] | None = None) -> Renderer:
    """JSON when asked, Rich on a terminal, plain text otherwise."""
    shared = set() if said is None else said
    if json_out:
        return JsonRenderer(output, quiet=quiet, verbose=verbose, said=shared)
    kind = RichRenderer if output.stdout_terminal else PlainRenderer
    return kind(output, quiet=quiet, verbose=verbose, stream=stream, said=shared)
