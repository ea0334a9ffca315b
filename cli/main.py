"""The `lamp` command: one Typer app, command groups mounted from their own modules.

Commands parse, call the agent and render; nothing else lives here. `run()` is
the console entry point and the single place where errors become exit codes.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lamp.agent.errors import LampError

from . import errors
from .ask import ask
from .cache_cmd import app as cache_app
from .chat import chat
from .cmd import cmd
from .config_cmd import app as config_app
from .mcp import app as mcp_app
from .memory import app as memory_app
from .models import app as models_app
from .pal import pal
from .runtime import Invocation, ModelSource
from .sandbox import app as sandbox_app
from .serve import serve
from .templates_cmd import app as templates_app
from .tools import app as tools_app

__all__ = ["app", "execute", "run"]

app = typer.Typer(
    name="lamp",
    help="Local chat and tool-use assistant on a quantized llama.cpp model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("ask")(ask)
app.command("chat")(chat)
app.command("pal")(pal)
app.command("cmd")(cmd)
app.command("serve")(serve)
app.add_typer(memory_app, name="memory")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(tools_app, name="tools")
app.add_typer(mcp_app, name="mcp")
app.add_typer(models_app, name="models")
app.add_typer(templates_app, name="templates")
app.add_typer(config_app, name="config")
app.add_typer(cache_app, name="cache")

def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"lamp {version('lamp')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Local chat and tool-use assistant on a quantized llama.cpp model.

    Exit codes: 0 ok, 1 model or tool failure, 2 usage or bad input,
    3 agent step limit, 130 interrupted.
    """


def execute(argv: list[str] | None = None, *, model_source: ModelSource | None = None) -> int:
    """Run one command line and return its exit code; every failure becomes one stderr line.

    ``model_source`` hands the command a model its caller already holds (the command's
    Runtime asks it instead of loading one). `lamp serve` calls this with its warm model,
    so a forwarded call behaves exactly like a local one; tests hand in a scripted model.
    """
    invocation = Invocation(model_source=model_source)
    try:
        code = app(args=argv, standalone_mode=False, obj=invocation)
        if code == errors.EXIT_INTERRUPTED:  # Typer turns Ctrl-C into a silent exit 130
            errors.report(KeyboardInterrupt())
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = errors.report(KeyboardInterrupt())
    except typer.TyperException as exc:  # usage errors from argument parsing
        message = exc.format_message().strip()
        if message:  # empty for "no arguments: help shown"
            errors.error_line(f"{message} (see --help)")
        code = errors.EXIT_USAGE
    except KeyboardInterrupt as exc:
        code = errors.report(exc)
    except LampError as exc:
        code = errors.report(exc, invocation.verbose)
    except BrokenPipeError:
        # Reader went away (`lamp ask ... | head -1`): not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except Exception as exc:  # memory errors: their row of errors.EXIT_CODES; a bug: 1
        code = errors.report(exc, invocation.verbose)
    return code if isinstance(code, int) else 0


def run(*, model_source: ModelSource | None = None) -> None:
    """Console entry point: a warm `lamp serve` answers `ask` when one is running (unless
    the caller hands in a model of its own)."""
    from .serve_client import try_forward

    forwarded = try_forward(sys.argv[1:]) if model_source is None else None
    sys.exit(forwarded if forwarded is not None else execute(model_source=model_source))
