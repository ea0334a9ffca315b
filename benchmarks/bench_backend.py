"""The llama.cpp backend the benchmarks share: set up as `lamp ask` sets it up.

The router's and the agent's fixed instructions come from a prefix cache, as in
`lamp ask`; without one every case would read them again and the timings would
not be lamp's. The cache lives in a scratch folder that goes with the process.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

from lamp.agent.config import paths
from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions
from lamp.agent.models.model_store import model_sha256
from lamp.agent.models.prefix_cache import PrefixCache

_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []  # removed when the process ends


def prefix_cached_backend(model: Path, n_ctx: int = 4096) -> LlamaCppBackend:
    scratch = tempfile.TemporaryDirectory(prefix="lamp-bench-")
    _SCRATCH.append(scratch)
    return LlamaCppBackend(LlamaOptions(
        model, n_ctx=n_ctx, prefix_cache=PrefixCache(Path(scratch.name)),
        model_sha256=partial(model_sha256, model, paths.cache_dir())))
