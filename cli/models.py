"""`lamp models`: where the model is, what it is, and which models are at hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .render import print_json

__all__ = ["app"]

app = typer.Typer(help="The default model and any GGUF you point at.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ModelOpt = Annotated[Path | None, typer.Option("--model", "-m", help="A GGUF file (default: "
                                               "the bundled model).", show_default=False)]


def _target(model: Path | None) -> Path:
    from .config import load_settings
    from .runtime import resolve_model

    settings = load_settings({"model": str(model) if model else None})
    return resolve_model(settings)


@app.command()
def path(model: ModelOpt = None) -> None:
    """Print the model file's path (assembling the default model on first use)."""
    typer.echo(str(_target(model)))


@app.command()
def info(
    model: ModelOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    hash_file: Annotated[bool, typer.Option("--hash/--no-hash",
                                            help="Compute the file's SHA-256.")] = True,
) -> None:
    """File, size, SHA-256, architecture, context length, chat template, GPU offload."""
    from lamp.agent.models.gguf import read_gguf
    from lamp.agent.models.model_store import DEFAULT_MODEL, sha256_file

    target = _target(model)
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
        "gpu_offload_supported": _gpu_offload(),
    }
    if json_out:
        print_json(facts, indent=2, ensure_ascii=True)
        return
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        typer.echo(f"{key.replace('_', ' '):<{width}}  {value}")


def _gpu_offload() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


@app.command("list")
def list_models(json_out: JsonOpt = False) -> None:
    """GGUF files in lamp's models directory (the default model included once assembled)."""
    from . import paths

    found = sorted(paths.models_dir().glob("*.gguf")) if paths.models_dir().is_dir() else []
    rows = [{"file": str(p), "size": p.stat().st_size} for p in found]
    if json_out:
        print_json(rows, indent=2, ensure_ascii=True)
    elif not rows:
        typer.echo(f"no models in {paths.models_dir()} yet "
                   "(`lamp models path` assembles the default)")
    for row in [] if json_out else rows:
        typer.echo(f"{row['size']:>14,}  {row['file']}")
