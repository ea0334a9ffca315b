"""`lamp mcp serve`: lamp's sandboxed Python, PAL and memory search as MCP tools (stdio).

Another assistant starts ``lamp mcp serve`` as one of its MCP servers and gets a
real sandbox for the code its model writes. This module only wires lamp's
pieces in (the sandbox at once; the model and the memory store on first use)
and runs the SDK's stdio server; the tools live in ``lamp.agent.mcp.serve``.
Settings, sandbox, model and memory come from one ``Runtime``, and ``pal`` is
answered by the application layer's PAL entry, as `lamp pal` is. stdout
belongs to the protocol: lamp's own notes go to stderr.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from . import options

if TYPE_CHECKING:
    from lamp.agent.app.runtime import Runtime
    from lamp.agent.mcp import Services

__all__ = ["app", "services_for"]

app = typer.Typer(help="lamp and the Model Context Protocol.", no_args_is_help=True)


@app.command("serve")
def serve(
    ctx: typer.Context,
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
    from lamp.agent.app.runtime import Runtime
    from lamp.agent.mcp import build_server
    from lamp.agent.sandbox import require_isolation

    from .runtime import Invocation

    found = ctx.find_object(Invocation)
    invocation = found if found is not None else Invocation()
    # stdout belongs to the protocol: quiet, so nothing but the protocol is written there.
    rt = Runtime({"model": model} if model else {}, invocation.caller,
                 verbose=invocation.verbose, model_source=invocation.model_source,
                 sandbox_flag=sandbox_policy, quiet=True)
    try:
        held = require_isolation(rt.sandbox_policy, "`lamp mcp serve` (its tools run "
                                 "model-written code)", as_sandbox_uid=True)
        unconfined = held.weaker()
        if unconfined is not None:
            rt.warn(f"serving with --sandbox {rt.sandbox_policy}: {unconfined}")
        services = services_for(rt, timeout, pal=not no_pal, memory=not no_memory)
        build_server(services, unconfined=unconfined).run("stdio")
    finally:
        rt.close()


def services_for(rt: Runtime, timeout: float, *, pal: bool = True,
                 memory: bool = True) -> Services:
    """The served tools' services, all from ``rt``: the sandbox now, the model on the first
    ``pal`` call, the memory store on the first search."""
    from lamp.agent.mcp import Services

    return Services(run_python=_python_runner(rt, timeout),
                    solve_factory=(lambda: _solver(rt, timeout)) if pal else None,
                    search_factory=(lambda: _searcher(rt)) if memory else None)


def _python_runner(rt: Runtime, timeout: float) -> Callable[[str], str]:
    from lamp.agent.tools.builtins.python import describe_run, echo_last_expression

    sandbox = rt.sandbox(timeout=timeout)

    def run(code: str) -> str:
        result = sandbox.run(echo_last_expression(code))
        for warning in result.warnings:  # about this machine: for the person running lamp
            rt.warn(warning)
        return describe_run(result)

    return run


def _solver(rt: Runtime, timeout: float) -> Callable[[str], str]:
    """``pal`` through the application layer, as `lamp pal` answers it: the model opens now
    (the first call), and one question is answered at a time (one model)."""
    import threading

    from lamp.agent.app.requests import Given, PalRequest
    from lamp.agent.app.run import answer

    rt.model()
    one_at_a_time = threading.Lock()

    def solve(question: str) -> str:
        with one_at_a_time:
            result = answer(PalRequest(Given(prompt=question), timeout=timeout), rt).consume()
        for notice in result.notices:  # about this machine: for the person running lamp
            rt.warn(notice)
        if result.error is not None:
            raise result.error
        code = str(result.details.get("code") or "").rstrip()
        return f"{result.answer}\n\nprogram:\n{code}"

    return solve


def _searcher(rt: Runtime) -> Callable[[str, int], list[str]]:
    from lamp.memory import MemoryStore

    location = rt.memory_location()
    store = MemoryStore.open(location.path, url=location.url)

    def search(query: str, k: int) -> list[str]:
        return [hit.text for hit in store.search(query, k=k)]

    return search
