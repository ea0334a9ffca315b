"""The one Runtime a benchmark process answers through, its model opened as `lamp` opens it.

A benchmark measures what ships only if it goes through the same entry as the
CLI (``lamp.agent.app.run.answer``) with a Runtime configured like a user's. So
each benchmark builds one ``Runtime`` here and hands every case to it: the model
is opened once, through the factory from the Runtime's own settings (prefix
cache included, so fixed instructions are read once, as in `lamp ask`), and
every case reuses it.

The Runtime runs for a caller whose environment has no ``LAMP_*`` settings and
whose ``LAMP_HOME`` is a scratch folder of this process (or the folder a
benchmark names, where it ingested documents): the user's config file and
environment change nothing, and nothing is written to their home. The models
folder is shared, so the default model is not assembled again.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lamp.agent.app.output import Caller, Output
from lamp.agent.app.runtime import Preloaded, Runtime
from lamp.agent.config import paths
from lamp.agent.config.paths import Paths
from lamp.agent.config.settings import load_settings
from lamp.agent.models.factory import open_backend, resolve_model_file
from lamp.agent.tools import ToolSource

__all__ = ["bench_env", "bench_runtime"]

_SCRATCH: list[tempfile.TemporaryDirectory[str]] = []  # removed when the process ends


def bench_env(home: Path | None = None) -> dict[str, str]:
    """This process's environment without lamp's settings, ``LAMP_HOME`` at ``home`` (None:
    a scratch folder) and the models folder this process uses."""
    models = paths.models_dir()
    if home is None:
        _SCRATCH.append(tempfile.TemporaryDirectory(prefix="lamp-bench-"))
        home = Path(_SCRATCH[-1].name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMP_")}
    return {**env, "LAMP_HOME": str(home), "LAMP_MODELS_DIR": str(models)}


def bench_runtime(model: str = "", *, flags: Mapping[str, Any] | None = None,
                  home: Path | None = None, tool_source: ToolSource | None = None,
                  cwd: Path | None = None) -> tuple[Runtime, Path]:
    """One Runtime for the whole benchmark, with ``flags`` as a user's command-line options
    (``model``: a preset, pulled name or GGUF path, "" for the default) and the model file
    it opened (for the report)."""
    given = {**(flags or {}), **({"model": model} if model else {})}
    env = bench_env(home)
    settings = load_settings(given, env=env)
    config = settings.model_config(folders=Paths(env))
    file = resolve_model_file(config)
    backend = open_backend(config)
    caller = Caller(Output(stdout=sys.stdout, stderr=sys.stderr), env,
                    cwd if cwd is not None else Path.cwd())
    rt = Runtime(given, caller, model_source=Preloaded(backend), tool_source=tool_source)
    return rt, file
