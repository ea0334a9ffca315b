"""`lamp mcp serve`: lamp's sandboxed Python, PAL and memory search as MCP tools (stdio).

Another assistant starts ``lamp mcp serve`` as one of its MCP servers and gets a
real sandbox for the code its model writes. This module only wires lamp's
pieces in (the sandbox at once; the model and the memory store on first use)
and runs the SDK's stdio server; the tools live in ``lamp.agent.mcp.serve``.
stdout belongs to the protocol: lamp's own notes go to stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Annotated

import typer

from . import options

__all__ = ["app", "starting_servers"]

app = typer.Typer(help="lamp and the Model Context Protocol.", no_args_is_help=True)


@app.command("serve")
def serve(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model for `pal`.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds one `python` run may take.")] = 10.0,
    no_pal: Annotated[bool, typer.Option("--no-pal", help="Do not offer `pal`.")] = False,
    no_memory: Annotated[bool, typer.Option("--no-memory",
                                            help="Do not offer `search_memory`.")] = False,
    sandbox_policy: options.SandboxFlag = None,
) -> None:
    """Serve `python` (the sandboxed interpreter), `pal` and `search_memory` over stdio.

    Add it to another assistant's MCP servers as the command `lamp mcp serve`. The model
    loads on the first `pal` call, the memory store on the first search. Where the sandbox
    policy finds no isolating layer, it does not start (one line, exit 2); started with
    `--sandbox best` there, its tools say what is not enforced instead of promising it."""
    from lamp.agent.config.settings import load_settings
    from lamp.agent.mcp import Services, build_server
    from lamp.agent.sandbox import Sandbox, require_isolation

    settings = load_settings({"model": model} if model else None)
    policy = sandbox_policy or settings.sandbox
    held = require_isolation(policy, "`lamp mcp serve` (its tools run model-written code)",
                             as_sandbox_uid=True)
    unconfined = held.weaker()
    if unconfined is not None:
        _note(f"serving with --sandbox {policy}: {unconfined}")
    sandbox = Sandbox(policy=policy, timeout=timeout)  # type: ignore[arg-type]
    services = Services(run_python=_python_runner(sandbox),
                        solve_factory=None if no_pal else (lambda: _solver(settings, sandbox)),
                        search_factory=None if no_memory else (lambda: _searcher(settings)))
    build_server(services, unconfined=unconfined).run("stdio")


@contextlib.contextmanager
def starting_servers(show: bool) -> Iterator[None]:
    """A spinner on stderr while MCP servers start (a second or more each), only on a
    terminal: in a pipe lamp stays silent."""
    if not (show and sys.stderr.isatty()):
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status("starting MCP servers…", spinner="dots"):
        yield


def _note(message: str) -> None:
    sys.stderr.write(f"lamp: warning: {message}\n")
    sys.stderr.flush()


def _python_runner(sandbox: object) -> Callable[[str], str]:
    from lamp.agent.tools.builtins.python import describe_run, echo_last_expression

    said: set[str] = set()

    def run(code: str) -> str:
        result = sandbox.run(echo_last_expression(code))  # type: ignore[attr-defined]
        for warning in result.warnings:  # about this machine: for the person running lamp
            if warning not in said:
                said.add(warning)
                _note(warning)
        return describe_run(result)

    return run


def _solver(settings: object, sandbox: object) -> Callable[[str], str]:
    from lamp.agent.errors import LampError
    from lamp.agent.events import FinalAnswer
    from lamp.agent.pal.solve import program_sampling, solve_in_sandbox

    from .runtime import load_backend, sampling_from

    backend = load_backend(settings, quiet=True)  # type: ignore[arg-type]
    sampling = program_sampling(sampling_from(settings))  # type: ignore[arg-type]

    def solve(question: str) -> str:
        final = None
        for event in solve_in_sandbox(backend, question, sandbox, sampling):
            if isinstance(event, FinalAnswer):
                final = event
        record = final.steps[0] if final is not None and final.steps else None
        if final is None or not final.text or record is None:
            failure = getattr(record, "failure", None) or "no answer"
            raise LampError(f"no runnable program ({failure})")
        return f"{final.text}\n\nprogram:\n{record.code.rstrip()}"

    return solve


def _searcher(settings: object) -> Callable[[str, int], list[str]]:
    from lamp.memory import MemoryStore

    from .memory import memory_location

    location = memory_location(getattr(settings, "memory_url", "") or None)
    store = MemoryStore.open(location.path, url=location.url)

    def search(query: str, k: int) -> list[str]:
        return [hit.text for hit in store.search(query, k=k)]

    return search
