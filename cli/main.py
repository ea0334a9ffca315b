"""The `lamp` command: one Typer app, command groups mounted from their own modules.

Commands parse, call the agent and render; nothing else lives here. `run()` is
the console entry point and the single place where errors become exit codes.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from lamp.agent.app.output import Caller
from lamp.agent.errors import LampError

from . import errors
from .runtime import Invocation, ModelSource

__all__ = ["COMMANDS", "GROUPS", "build_app", "execute", "run"]

# Each command lives in its own module. A command line that names one gets an app
# holding only that command, so `lamp ask` neither imports nor builds chat, cmd, serve
# or the groups (docs/startup.md measures what that saves); help, completion and
# anything unrecognised get the whole app.
COMMANDS: dict[str, tuple[str, str]] = {  # name -> (module in lamp.cli, function)
    "ask": ("ask", "ask"),
    "chat": ("chat", "chat"),
    "pal": ("pal", "pal"),
    "cmd": ("cmd", "cmd"),
    "serve": ("serve", "serve"),
}
GROUPS: dict[str, str] = {  # name -> module in lamp.cli whose `app` is the group
    "memory": "memory",
    "sandbox": "sandbox",
    "tools": "tools",
    "models": "models",
    "templates": "templates_cmd",
    "config": "config_cmd",
    "cache": "cache_cmd",
    "mcp": "mcp",
    "logs": "logs_cmd",
}
_COMPLETION_VAR = "_LAMP_COMPLETE"  # set by the shell while it asks for completions


def build_app(only: str | None = None) -> typer.Typer:
    """The `lamp` app with every command, or with just the command named ``only``."""
    app = typer.Typer(
        name="lamp",
        help="Local chat and tool-use assistant on a quantized llama.cpp model.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(main)
    for name, (module, attr) in COMMANDS.items():
        if only in (None, name):
            app.command(name)(getattr(import_module(f".{module}", __package__), attr))
    for name, module in GROUPS.items():
        if only in (None, name):
            app.add_typer(import_module(f".{module}", __package__).app, name=name)
    return app


def _named_command(argv: list[str]) -> str | None:
    """The command a command line runs, when it starts with one lamp knows."""
    if not argv or os.environ.get(_COMPLETION_VAR):
        return None
    first = argv[0]
    return first if first in COMMANDS or first in GROUPS else None


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        from importlib.metadata import version

        from .common import caller_of

        caller_of(ctx).output.write(f"lamp {version('lamp')}\n")
        raise typer.Exit()


def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Local chat and tool-use assistant on a quantized llama.cpp model.

    Exit codes: 0 ok, 1 model or tool failure, 2 usage or bad input,
    3 agent step limit, 130 interrupted.
    """


def execute(argv: list[str] | None = None, *, caller: Caller | None = None,
            model_source: ModelSource | None = None,
            journals_written: set[Path] | None = None) -> int:
    """Run one command line and return its exit code; every failure becomes one stderr line.

    ``model_source`` hands the command a model its caller already holds (the command's
    Runtime asks it instead of loading one). `lamp serve` calls this with its warm model,
    so a forwarded call behaves exactly like a local one; tests hand in a scripted model.
    ``journals_written`` collects the memory stores whose journals the command wrote, for
    a long-lived caller to index after replying.
    """
    caller = caller if caller is not None else Caller.of_process()
    invocation = Invocation(model_source=model_source, caller=caller,
                            journals_written=journals_written)
    err = caller.output.stderr
    try:
        args = sys.argv[1:] if argv is None else argv
        app = build_app(_named_command(args))
        code = app(args=args, standalone_mode=False, obj=invocation)
        if code == errors.EXIT_INTERRUPTED:  # Typer turns Ctrl-C into a silent exit 130
            errors.report(KeyboardInterrupt(), err=err)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = errors.report(KeyboardInterrupt(), err=err)
    except typer.TyperException as exc:  # usage errors from argument parsing
        message = exc.format_message().strip()
        if message:  # empty for "no arguments: help shown"
            errors.error_line(f"{message} (see --help)", err)
        code = errors.EXIT_USAGE
    except KeyboardInterrupt as exc:
        code = errors.report(exc, err=err)
    except LampError as exc:
        code = errors.report(exc, invocation.verbose, err)
    except BrokenPipeError:
        # Reader went away (`lamp ask ... | head -1`): not an error worth a traceback.
        if caller.output.stdout is sys.stdout:  # this process's own pipe: silence it
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except Exception as exc:  # memory errors: their row of errors.EXIT_CODES; a bug: 1
        code = errors.report(exc, invocation.verbose, err)
    return code if isinstance(code, int) else 0


def run(*, model_source: ModelSource | None = None) -> None:
    """Console entry point: a warm `lamp serve` answers `ask` when one is running (unless
    the caller hands in a model of its own)."""
    from .serve_client import try_forward

    forwarded = try_forward(sys.argv[1:]) if model_source is None else None
    sys.exit(forwarded if forwarded is not None else execute(model_source=model_source))
