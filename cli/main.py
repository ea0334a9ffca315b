"""The `lamp` command: one Typer app, command groups mounted from their own modules.

Commands parse, call the agent and render; nothing else lives here. `run()` is
the console entry point and the single place where errors become exit codes.
"""

from __future__ import annotations

import sys
import time
from typing import Annotated, Any

import typer
from lamp.agent.errors import LampError

from . import errors, options
from .config import Settings, load_settings
from .config_cmd import app as config_app
from .models import app as models_app
from .templates_cmd import app as templates_app

__all__ = ["app", "run"]

app = typer.Typer(
    name="lamp",
    help="Local chat and tool-use assistant on a quantized llama.cpp model.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(models_app, name="models")
app.add_typer(templates_app, name="templates")
app.add_typer(config_app, name="config")


def _mount_optional_groups() -> None:
    """Groups built on optional layers (memory, sandbox) mount when their module exists."""
    import importlib

    for module, name in (("lamp.cli.memory", "memory"), ("lamp.cli.sandbox", "sandbox")):
        try:
            group = importlib.import_module(module).app
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        app.add_typer(group, name=name)


_mount_optional_groups()

_state: dict[str, bool] = {"verbose": False}


def _settings(flags: dict[str, Any]) -> Settings:
    given = {k: (str(v) if k == "model" and v is not None else v) for k, v in flags.items()
             if k in options.MODEL_FLAGS}
    return load_settings(given)


@app.command()
def ask(
    prompt: Annotated[str | None, typer.Argument(help="The question or instruction. "
                                                 "Piped stdin becomes the material it talks about.",
                                                 show_default=False)] = None,
    template: Annotated[str | None, typer.Option(
        "--template", "-t", help="Prompt template (see `lamp templates list`).",
        show_default=False)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the answer.")] = False,
    truncate: Annotated[bool, typer.Option("--truncate",
                                           help="Cut input that does not fit the context "
                                           "(announced) instead of failing.")] = False,
    model: options.ModelPath = None,
    system: options.System = None,
    temperature: options.Temperature = None,
    top_k: options.TopK = None,
    top_p: options.TopP = None,
    max_tokens: options.MaxTokens = None,
    seed: options.Seed = None,
    repeat_penalty: options.RepeatPenalty = None,
    ctx: options.Ctx = None,
    threads: options.Threads = None,
    n_gpu_layers: options.GpuLayers = None,
    backend: options.BackendName = None,
    base_url: options.BaseUrl = None,
    verbose: options.Verbose = False,
) -> None:
    """Ask one question and stream the answer (stdin in, stdout out)."""
    from lamp.agent.ask import prepare_ask
    from lamp.agent.templates import find_template

    from . import paths
    from .inputs import read_user_input
    from .render import JsonRenderer, PlainRenderer, RichRenderer, warn
    from .runtime import load_backend, sampling_from

    _state["verbose"] = verbose
    settings = _settings(locals())
    tmpl = find_template(template, paths.config_dir() / "templates") if template else None
    given = read_user_input(prompt)
    for message in given.warnings:
        warn(message)
    started = time.perf_counter()
    model_backend = load_backend(settings, verbose=verbose, quiet=quiet or json_out)
    prepared = prepare_ask(
        model_backend,
        sampling_from(settings),
        prompt=given.prompt,
        material=given.material,
        system=settings.system,
        template=tmpl,
        system_from_user=settings.sources["system"] != "default",
        temperature_from_user=settings.sources["temperature"] != "default",
        truncate=truncate,
    )
    events = prepared.conversation.send(prepared.user_text)
    if json_out:
        renderer = JsonRenderer()
        result = renderer.render(events)
        usage = result.usage
        renderer.emit({
            "answer": result.answer,
            "model": model_backend.describe(),
            "template": tmpl.name if tmpl else None,
            "sampling": prepared.conversation.sampling.as_dict(),
            "usage": {
                "prompt_tokens": usage.prompt_tokens if usage else 0,
                "completion_tokens": usage.completion_tokens if usage else 0,
                "finish_reason": usage.finish_reason if usage else "",
            },
            "timings": {
                "load_s": round(getattr(model_backend, "load_seconds", 0.0), 4),
                "first_token_s": round(usage.seconds_to_first_token, 4) if usage else None,
                "generation_s": round(usage.seconds_total, 4) if usage else None,
                "tokens_per_s": round(usage.tokens_per_second, 2) if usage else None,
                "total_s": round(time.perf_counter() - started, 4),
            },
            "warnings": list(given.warnings) + result.notices,
        })
    elif sys.stdout.isatty():
        RichRenderer(quiet=quiet).render(events)
    else:
        PlainRenderer(quiet=quiet).render(events)


@app.command()
def chat(
    model: options.ModelPath = None,
    system: options.System = None,
    temperature: options.Temperature = None,
    top_k: options.TopK = None,
    top_p: options.TopP = None,
    max_tokens: options.MaxTokens = None,
    seed: options.Seed = None,
    repeat_penalty: options.RepeatPenalty = None,
    ctx: options.Ctx = None,
    threads: options.Threads = None,
    n_gpu_layers: options.GpuLayers = None,
    backend: options.BackendName = None,
    base_url: options.BaseUrl = None,
    verbose: options.Verbose = False,
) -> None:
    """Interactive chat: streaming Markdown, history, multi-line input, /help for commands."""
    from .chat import run_chat

    _state["verbose"] = verbose
    run_chat(_settings(locals()), verbose=verbose)


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


def run() -> None:
    """Console entry point: map every failure to one stderr line and an exit code."""
    try:
        code = app(standalone_mode=False)
        if code == errors.EXIT_INTERRUPTED:  # Typer turns Ctrl-C into a silent exit 130
            errors.report(KeyboardInterrupt())
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = errors.report(KeyboardInterrupt())
    except typer.TyperException as exc:  # usage errors from argument parsing
        message = exc.format_message().strip()
        if message:  # empty for "no arguments: help shown"
            sys.stderr.write(f"lamp: error: {message} (see --help)\n")
        code = errors.EXIT_USAGE
    except KeyboardInterrupt as exc:
        code = errors.report(exc)
    except LampError as exc:
        code = errors.report(exc, _state["verbose"])
    except BrokenPipeError:
        # Reader went away (`lamp ask ... | head -1`): not an error worth a traceback.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except Exception as exc:  # memory/sandbox errors carry exit_code; anything else is 1
        code = errors.report(exc, _state["verbose"])
    sys.exit(code if isinstance(code, int) else 0)

