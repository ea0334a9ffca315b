"""Shared option plumbing: one decorator gives a command every model/sampling option.

`ask`, `chat`, `pal` and `serve` take the same dozen model options. Repeating
them in each signature invites drift, so commands declare only their own
parameters and receive a ``Runtime`` (cli/runtime.py) built from the shared
ones: typed options, ``--verbose``, and a model handed in by whoever runs the
command line (``lamp serve``, tests). The Runtime is closed when the command
ends, which finishes deferred memory writes after the answer is out. The group
commands (memory, models, tools, ...) take no model options; they ask ``caller_of``
for the Caller they run for.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import IO, Any, TypeVar

import click
import typer

from lamp.agent.app.output import Caller, Output

from . import errors, options
from .runtime import Invocation, Runtime, loader_for, spinner_for

__all__ = ["SHARED_OPTIONS", "caller_of", "echo", "read_line", "with_model_options"]

F = TypeVar("F", bound=Callable[..., Any])

SHARED_OPTIONS: dict[str, Any] = {
    "model": options.ModelPath, "system": options.System, "temperature": options.Temperature,
    "top_k": options.TopK, "top_p": options.TopP, "max_tokens": options.MaxTokens,
    "seed": options.Seed, "repeat_penalty": options.RepeatPenalty, "ctx": options.Ctx,
    "threads": options.Threads, "n_gpu_layers": options.GpuLayers,
    "backend": options.BackendName, "base_url": options.BaseUrl, "log": options.RunLogFlag,
    "prompt_lookup": options.PromptLookupFlag,
}


def _invocation(ctx: typer.Context | None) -> Invocation:
    """The Invocation ``execute()`` passed down as the context object (a fresh one when a
    command runs without it, e.g. under Typer's test runner)."""
    found = ctx.find_object(Invocation) if ctx is not None else None
    return found if found is not None else Invocation()


def caller_of(ctx: typer.Context | None) -> Caller:
    """Who a command without model options runs for: the Caller ``execute()`` handed down,
    else this process (a sub-app run on its own, e.g. by Typer's test runner)."""
    return _invocation(ctx).caller


def echo(output: Output, *lines: str) -> None:
    """Lines of a command's output on the caller's stdout, as ``typer.echo`` wrote them:
    ANSI escape sequences dropped when stdout is not a terminal (a pipe gets plain text)."""
    text = "".join(f"{line}\n" for line in lines)
    output.write(text if output.stdout_terminal else click.unstyle(text))


def read_line(output: Output, prompt: str, *, prompt_on: IO[str] | None = None) -> str:
    """``input()`` on the caller's streams: ``prompt`` on ``prompt_on`` (default: their
    stdout), then one line from their stdin without its newline; EOFError when it is closed
    (or there is none)."""
    shown = prompt_on if prompt_on is not None else output.stdout
    shown.write(prompt)
    shown.flush()
    line = output.stdin.readline() if output.stdin is not None else ""
    if not line:
        raise EOFError
    return line[:-1] if line.endswith("\n") else line


def with_model_options(fn: F) -> F:
    # `rt: Runtime` may be annotated under TYPE_CHECKING in the command's module.
    hints = typing.get_type_hints(fn, include_extras=True, localns={"Runtime": Runtime})
    own = [p.replace(annotation=hints.get(p.name, p.annotation))
           for p in inspect.signature(fn).parameters.values() if p.name != "rt"]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
              for name, ann in SHARED_OPTIONS.items()]
    shared.append(inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False,
                                    annotation=options.Verbose))
    # Typer fills a parameter annotated typer.Context with the command's context.
    shared.append(inspect.Parameter("typer_ctx", inspect.Parameter.KEYWORD_ONLY, default=None,
                                    annotation=typer.Context))
    own_positional = [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in own]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = options.ModelOptions(**{name: kwargs.pop(name, None) for name in SHARED_OPTIONS})
        invocation = _invocation(kwargs.pop("typer_ctx", None))
        invocation.verbose = bool(kwargs.pop("verbose", False))
        output = invocation.caller.output
        rt = Runtime(given.as_flags(), invocation.caller, verbose=invocation.verbose,
                     model_source=invocation.model_source,
                     loader=loader_for(invocation.caller, verbose=invocation.verbose),
                     waiting=spinner_for(output),
                     journals_written=invocation.journals_written,
                     command=fn.__name__, keep_log=True)
        status, failure = errors.EXIT_OK, None
        try:
            return fn(*args, rt=rt, **kwargs)
        except typer.Exit as exc:
            status = exc.exit_code
            raise
        except BaseException as exc:  # the run log records how the command ended
            status, failure = errors.exit_code_for(exc), exc
            raise
        finally:
            rt.close(exit_status=status, error=failure)

    params = own_positional + shared
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]
