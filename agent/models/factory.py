"""The one place a backend is built from a configuration.

``lamp ask``, ``lamp serve``, ``lamp mcp serve`` and the benchmarks all open
their model here, so what a benchmark measures is set up the way lamp ships it
(the model file resolved the same way, the same prefix cache, the same threads).
``ModelConfig`` is the model layer's own view of the settings: plain values and
folders, so this package needs nothing from the settings code above it
(``Settings.model_config()`` builds one).

Nothing here prints. Whoever shows progress passes callbacks: ``on_start(kind)``
when a step begins (``"assemble"``, ``"verify"``, ``"download"`` while a preset
is made ready, then ``"load"`` just before the weights are read, the moment to
show a spinner) and ``on_progress(done, total)`` in bytes during the first three.
The backends' modules are imported only when one is opened, so importing this
module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .backend import Backend
from .errors import UsageError

if TYPE_CHECKING:
    from .http_backend import HttpOptions
    from .llama_backend import LlamaOptions

__all__ = ["BACKEND_KINDS", "ModelConfig", "OnProgress", "OnStart", "http_options",
           "llama_options", "open_backend", "resolve_model_file"]

BACKEND_KINDS = ("llama", "openai")  # in-process llama.cpp | an OpenAI-compatible server

OnStart = Callable[[str], None]  # "assemble" | "verify" | "download" | "load"
OnProgress = Callable[[int, int], None]  # (bytes done, bytes total)

_MIB = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Which model, through which backend, with which resources."""

    models_dir: Path  # presets and pulled models live here
    cache_dir: Path  # the model-hash index; the prefix cache's default home
    model: str = ""  # preset, pulled name or GGUF path ("": the default preset);
    #                  for "openai", the server's model name ("": the first it lists)
    backend: str = "llama"  # one of BACKEND_KINDS
    base_url: str = ""  # the OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1
    ctx: int = 4096  # for "openai": used only when the server does not say
    threads: int = 0  # 0: every core this process may run on
    n_gpu_layers: int = 0
    seed: int = -1  # -1: random
    verbose: bool = False  # llama.cpp's own log on stderr
    prefix_cache: bool = True  # keep KV state of fixed prompt prefixes on disk
    prefix_cache_dir: Path | None = None  # None: cache_dir / "prefix"
    prefix_cache_max_bytes: int = 1024 * _MIB  # the settings default (cache_max_mb)
    request_timeout: float = 120.0  # seconds of server silence before giving up


def open_backend(config: ModelConfig, *, on_start: OnStart | None = None,
                 on_progress: OnProgress | None = None) -> Backend:
    """The backend ``config`` names, opened: a model file resolved (a preset assembled or
    verified on first use) and loaded, or a server probed. UsageError for a bad config."""
    if config.backend == "openai":
        from .http_backend import OpenAIBackend

        return OpenAIBackend(http_options(config))
    if config.backend != "llama":
        raise UsageError(f"backend must be one of {', '.join(BACKEND_KINDS)}, "
                         f"got {config.backend!r}")
    from .llama_backend import LlamaCppBackend

    options = llama_options(config, resolve_model_file(config, on_start=on_start,
                                                       on_progress=on_progress))
    if on_start is not None:
        on_start("load")
    return LlamaCppBackend(options)


def resolve_model_file(config: ModelConfig, *, on_start: OnStart | None = None,
                       on_progress: OnProgress | None = None) -> Path:
    """The GGUF file ``config.model`` names: a preset (assembled and verified on first
    use), a pulled model, or a path."""
    from .model_store import resolve_model

    return resolve_model(config.model, config.models_dir, progress=on_progress,
                         on_start=on_start)


def llama_options(config: ModelConfig, model_path: Path) -> LlamaOptions:
    """How llama.cpp loads ``model_path`` under ``config``; the file is hashed (for the
    prefix cache's keys) only when a prefix is first cached."""
    from .llama_backend import LlamaOptions
    from .model_store import model_sha256
    from .prefix_cache import PrefixCache

    cache, sha = None, None
    if config.prefix_cache:
        cache = PrefixCache(config.prefix_cache_dir or config.cache_dir / "prefix",
                            config.prefix_cache_max_bytes)
        sha = partial(model_sha256, model_path, config.cache_dir)
    return LlamaOptions(
        model_path=model_path,
        n_ctx=config.ctx,
        n_threads=config.threads,
        n_gpu_layers=config.n_gpu_layers,
        seed=config.seed,
        verbose=config.verbose,
        prefix_cache=cache,
        model_sha256=sha,
    )


def http_options(config: ModelConfig) -> HttpOptions:
    """How to reach the server of an ``openai`` config (``model`` names the server's
    model, not a file)."""
    from .http_backend import HttpOptions

    if not config.base_url:
        raise UsageError("--backend openai needs --base-url (or LAMP_BASE_URL), "
                         "e.g. http://127.0.0.1:8080/v1")
    return HttpOptions(base_url=config.base_url, model=config.model, n_ctx=config.ctx,
                       timeout=config.request_timeout)
