"""Effective settings: defaults, then the TOML file, then LAMP_* env vars, then flags.

Each value remembers where it came from, so `lamp config show` can answer the
question users actually have ("why is my temperature 0.2?"). Unknown keys and
unparseable values are errors, not silently ignored: a typo in a config file
should not quietly change nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from lamp.agent.conversation import ASSISTANT_SYSTEM
from lamp.agent.errors import UsageError
from lamp.agent.models.cores import usable_cores
from lamp.agent.models.factory import BACKEND_KINDS, ModelConfig

from . import paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["AUTO_SAMPLES", "BACKENDS", "PROMPT_LOOKUP", "SANDBOX_POLICIES", "Settings",
           "load_settings", "pal_sample_count", "set_config_value"]

MAX_PAL_SAMPLES = 20
BACKENDS = BACKEND_KINDS  # in-process llama.cpp | an OpenAI-compatible server
SANDBOX_POLICIES = ("auto", "strict", "best")  # lamp.agent.sandbox.POLICIES, without importing it
# off: never; auto: the answers that copy from their input (ask -f, --docs, --schema,
# copying templates, piped material); on: every answer (lamp.agent.models.lookup).
PROMPT_LOOKUP = ("auto", "on", "off")
DEFAULT_SYSTEM = ASSISTANT_SYSTEM
AUTO_SAMPLES = "auto"


def pal_sample_count(text: str) -> int | None:
    """The count of ``pal_samples``/``--samples``: 0 for ``auto``, else 1 to
    MAX_PAL_SAMPLES; None when the text is neither."""
    text = str(text).strip().lower()
    if text == AUTO_SAMPLES:
        return 0
    try:
        count = int(text)
    except ValueError:
        return None
    return count if 1 <= count <= MAX_PAL_SAMPLES else None


@dataclass
class Settings:
    model: str = ""  # empty: the default model, assembled from its PyPI parts
    system: str = DEFAULT_SYSTEM
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    max_tokens: int = 512
    seed: int = -1  # -1: random
    repeat_penalty: float = 1.1
    ctx: int = 4096
    threads: int = 0  # 0: all cores
    n_gpu_layers: int = 0
    memory_url: str = ""
    prefix_cache: bool = True  # keep KV state of fixed prompt prefixes on disk
    # The prefix cache's cap: attached material (ask -f, --docs) may take 3/4 of it.
    cache_max_mb: int = 1024
    # Off by default: drafts are checked in batches, whose floating-point sums differ from
    # one token at a time, so a greedy answer can change (docs/speed.md).
    prompt_lookup: str = "off"
    backend: str = "llama"
    base_url: str = ""  # the OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1
    request_timeout: float = 120.0  # seconds of server silence before giving up
    # Programs `lamp pal` draws and votes on: "auto" (one greedy program, more only when its
    # answer is in doubt: agent/pal/doubt.py) or a fixed count (1: one greedy program).
    pal_samples: str = "auto"
    # > 0: `lamp ask` starts `lamp serve` on first use, stopping after this many idle seconds
    auto_serve: float = 0.0
    # How much isolation model-written code and stdio MCP servers need (lamp.agent.sandbox):
    # auto (L1 or L2, else refuse), strict (L1, else refuse), best (whatever exists, warned).
    sandbox: str = "auto"
    # Record every run in the run log (`lamp logs`); false, LAMP_LOG=0 or --no-log: nothing.
    log: bool = True
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # [mcp.servers.NAME] tables of the config file (lamp.agent.mcp.ServerConfig by name):
    # only the file configures them, so they are not settings with an env var or a flag.
    mcp_servers: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name not in ("sources", "mcp_servers")]

    def effective_threads(self) -> int:
        return self.threads if self.threads > 0 else usable_cores()

    def model_config(self, *, verbose: bool = False,
                     folders: paths.Paths | None = None) -> ModelConfig:
        """What the model layer needs to open this model (lamp.agent.models.factory), with
        lamp's own folders filled in (``folders``: those of the run's environment; None:
        this process's); ``verbose`` lets llama.cpp log to stderr."""
        folders = folders or paths.Paths()
        cache = folders.cache_dir()
        return ModelConfig(
            models_dir=folders.models_dir(),
            cache_dir=cache,
            model=self.model,
            backend=self.backend,
            base_url=self.base_url,
            ctx=self.ctx,
            threads=self.threads,
            n_gpu_layers=self.n_gpu_layers,
            seed=self.seed,
            verbose=verbose,
            prefix_cache=self.prefix_cache,
            prefix_cache_dir=cache / "prefix",
            prefix_cache_max_bytes=self.cache_max_mb * 1024 * 1024,
            request_timeout=self.request_timeout,
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.keys()}


def _coerce(key: str, value: Any, origin: str) -> Any:
    target = type(getattr(Settings(), key))
    try:
        if target is bool:
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if target is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if target is int and isinstance(value, bool):
            raise ValueError
        return target(value)
    except (TypeError, ValueError):
        raise UsageError(
            f"{origin}: {key} must be {target.__name__}, got {value!r}"
        ) from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror}") from exc
    # [memory] url = "..." is accepted as memory_url, for readability. [mcp] stays a table.
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key == "mcp":
            flat[key] = value
        elif isinstance(value, dict):
            for sub, subval in value.items():
                flat[f"{key}_{sub}"] = subval
        else:
            flat[key] = value
    return flat


def set_config_value(path: Path, key: str, value: str) -> None:
    """Set one top-level string setting in the TOML file, keeping everything else (comments
    included): the key's line is replaced where it stands before the first table, or the
    line is added at the top. The result is checked to parse before it replaces the file."""
    import json
    import os
    import re

    _read_file(path)  # a broken file is reported, not overwritten
    try:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}\n"  # a TOML basic string
    pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
    for i, old in enumerate(lines):
        if old.lstrip().startswith("["):
            lines.insert(0, line)
            break
        if pattern.match(old):
            lines[i] = line
            break
    else:
        lines.insert(0, line)
    from lamp.memory.private_fs import make_private_dirs, private_opener

    make_private_dirs(path.parent)  # missing ones 0700; the file itself 0600 (issue 28)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", opener=private_opener) as fh:
        fh.write("".join(lines))
    try:
        if _read_file(tmp).get(key) != value:
            raise UsageError(f"could not set {key} in {path}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_settings(flags: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Merge every source in precedence order; ``flags`` holds only options the user gave,
    ``env`` is the environment of whoever the run is for (None: this process's)."""
    environ = os.environ if env is None else env
    settings = Settings()
    settings.sources = dict.fromkeys(Settings.keys(), "default")
    known = set(Settings.keys())

    cfg_path = paths.Paths(environ).config_file()
    for key, value in _read_file(cfg_path).items():
        if key == "mcp":
            from lamp.agent.mcp.config import parse_servers

            settings.mcp_servers = parse_servers(value, f"config file {cfg_path}")
            continue
        if key not in known:
            raise UsageError(
                f"config file {cfg_path}: unknown setting {key!r} "
                f"(known: {', '.join(sorted(known))})"
            )
        setattr(settings, key, _coerce(key, value, f"config file {cfg_path}"))
        settings.sources[key] = f"file {cfg_path}"

    for key in known:
        env_name = f"LAMP_{key.upper()}"
        if env_name in environ:
            setattr(settings, key, _coerce(key, environ[env_name], env_name))
            settings.sources[key] = f"env {env_name}"

    for key, value in (flags or {}).items():
        if value is None:
            continue
        setattr(settings, key, _coerce(key, value, f"--{key.replace('_', '-')}"))
        settings.sources[key] = "flag"

    _validate(settings)
    if settings.mcp_servers:  # the servers lamp starts are held to the same policy
        from dataclasses import replace

        settings.mcp_servers = {name: replace(cfg, sandbox=settings.sandbox)
                                for name, cfg in settings.mcp_servers.items()}
    return settings


def _validate(s: Settings) -> None:
    checks = [
        (s.temperature >= 0, "temperature must be >= 0"),
        (s.top_k >= 0, "top_k must be >= 0"),
        (0 < s.top_p <= 1, "top_p must be in (0, 1]"),
        (s.max_tokens > 0, "max_tokens must be > 0"),
        (s.ctx >= 256, "ctx must be >= 256"),
        (s.threads >= 0, "threads must be >= 0"),
        (s.n_gpu_layers >= -1, "n_gpu_layers must be >= -1 (-1 offloads all layers)"),
        (s.repeat_penalty > 0, "repeat_penalty must be > 0"),
        (s.cache_max_mb >= 1, "cache_max_mb must be >= 1"),
        (s.backend in BACKENDS,
         f"backend must be one of {', '.join(BACKENDS)}, got {s.backend!r}"),
        (s.request_timeout > 0, "request_timeout must be > 0"),
        (pal_sample_count(s.pal_samples) is not None,
         f"pal_samples must be auto or a number from 1 to {MAX_PAL_SAMPLES}, "
         f"got {s.pal_samples!r}"),
        (s.prompt_lookup in PROMPT_LOOKUP,
         f"prompt_lookup must be one of {', '.join(PROMPT_LOOKUP)}, got {s.prompt_lookup!r}"),
        (s.sandbox in SANDBOX_POLICIES,
         f"sandbox must be one of {', '.join(SANDBOX_POLICIES)}, got {s.sandbox!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
    if s.max_tokens >= s.ctx:
        raise UsageError(f"max_tokens ({s.max_tokens}) must be smaller than ctx ({s.ctx})")
