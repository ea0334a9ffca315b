"""Turn effective settings into a loaded backend, with progress shown only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lamp.agent.errors import UsageError
from lamp.agent.models import Backend, Sampling
from lamp.agent.models.model_store import ensure_default_model

from . import paths
from .config import Settings

__all__ = ["greedy_unless_set", "load_backend", "resolve_model", "sampling_from"]


def sampling_from(settings: Settings, temperature: float | None = None) -> Sampling:
    return Sampling(
        temperature=settings.temperature if temperature is None else temperature,
        top_k=settings.top_k,
        top_p=settings.top_p,
        max_tokens=settings.max_tokens,
        seed=settings.seed if settings.seed >= 0 else None,
        repeat_penalty=settings.repeat_penalty,
    )


def greedy_unless_set(sampling: Sampling, settings: Settings) -> Sampling:
    """Tool steps and programs want the likeliest tokens; chat's default temperature is for
    prose. A temperature the user chose (flag, env or config) is kept."""
    if settings.sources["temperature"] != "default":
        return sampling
    from dataclasses import replace

    return replace(sampling, temperature=0.0)


@contextmanager
def _progress_bar(show: bool) -> Iterator[tuple[Callable[[str], None] | None,
                                                Callable[[int, int], None] | None]]:
    if not show:
        yield None, None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=True)
    task: list[int] = []
    labels = {"assemble": "assembling default model", "verify": "verifying default model"}

    def on_start(kind: str) -> None:
        if not task:
            progress.start()
        else:
            progress.remove_task(task.pop())
        task.append(progress.add_task(labels.get(kind, kind), total=None))

    def on_progress(done: int, total: int) -> None:
        progress.update(task[-1], completed=done, total=total)

    try:
        yield on_start, on_progress
    finally:
        if task:
            progress.stop()


def resolve_model(settings: Settings, quiet: bool = False) -> Path:
    if settings.model:
        return Path(settings.model).expanduser()
    show = sys.stderr.isatty() and not quiet
    with _progress_bar(show) as (on_start, on_progress):
        return ensure_default_model(paths.models_dir(), progress=on_progress, on_start=on_start)


def load_backend(settings: Settings, *, verbose: bool = False, quiet: bool = False) -> Backend:
    """Load the configured backend (imported lazily: `lamp --help` never loads llama.cpp)."""
    if settings.backend == "openai":
        return _http_backend(settings)
    from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions

    model_path = resolve_model(settings, quiet=quiet)
    cache, sha = None, None
    if settings.prefix_cache:
        from functools import partial

        from lamp.agent.models.model_store import model_sha256
        from lamp.agent.models.prefix_cache import PrefixCache

        sha = partial(model_sha256, model_path, paths.cache_dir())
        cache = PrefixCache(paths.cache_dir() / "prefix", settings.cache_max_mb * 1024 * 1024)
    options = LlamaOptions(
        model_path=model_path,
        n_ctx=settings.ctx,
        n_threads=settings.effective_threads(),
        n_gpu_layers=settings.n_gpu_layers,
        seed=settings.seed,
        verbose=verbose,
        prefix_cache=cache,
        model_sha256=sha,
    )
    if sys.stderr.isatty() and not quiet:
        from rich.console import Console

        with Console(stderr=True).status("loading model…", spinner="dots"):
            return LlamaCppBackend(options)
    return LlamaCppBackend(options)


def _http_backend(settings: Settings) -> Backend:
    """An OpenAI-compatible server; ``--model`` names the server's model instead of a file."""
    from lamp.agent.models.http_backend import HttpOptions, OpenAIBackend

    if not settings.base_url:
        raise UsageError("--backend openai needs --base-url (or LAMP_BASE_URL), "
                         "e.g. http://127.0.0.1:8080/v1")
    return OpenAIBackend(HttpOptions(
        base_url=settings.base_url,
        model=settings.model,
        n_ctx=settings.ctx,
        timeout=settings.request_timeout,
    ))
