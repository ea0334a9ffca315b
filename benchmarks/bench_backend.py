"""The backends the benchmarks share, opened as `lamp ask` opens its model.

Every benchmark builds its model through ``lamp.agent.models.factory``, the one
place lamp itself builds one, with lamp's default settings (not the user's
config file). The router's and the agent's fixed instructions come from a
prefix cache, as in `lamp ask`; without one every case would read them again
and the timings would not be lamp's. The cache lives in a scratch folder that
goes with the process.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from lamp.agent.config import paths
from lamp.agent.models import Backend
from lamp.agent.models.factory import ModelConfig, open_backend, resolve_model_file

_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []  # removed when the process ends


def bench_config(model: str | Path = "", n_ctx: int = 4096, *,
                 prefix_cache: bool = False) -> ModelConfig:
    """lamp's defaults for ``model`` (a preset, pulled name or GGUF path; "": the default
    preset); ``prefix_cache`` keeps fixed prefixes in a scratch folder of this process."""
    scratch = None
    if prefix_cache:
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="lamp-bench-"))
        scratch = Path(_SCRATCH[-1].name)
    return ModelConfig(models_dir=paths.models_dir(), cache_dir=paths.cache_dir(),
                       model=str(model), ctx=n_ctx, prefix_cache=prefix_cache,
                       prefix_cache_dir=scratch)


def prefix_cached_backend(model: Path, n_ctx: int = 4096) -> Backend:
    return open_backend(bench_config(model, n_ctx, prefix_cache=True))


def model_and_backend(model: str | Path = "", n_ctx: int = 4096) -> tuple[Path, Backend]:
    """The model file ``model`` names (for the report) and its backend, no prefix cache."""
    config = bench_config(model, n_ctx)
    path = resolve_model_file(config)
    return path, open_backend(replace(config, model=str(path)))
