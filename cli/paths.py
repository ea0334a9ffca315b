"""Where lamp keeps its files: platformdirs by default, one LAMP_HOME override for tests.

A single override (rather than one env var per directory) is what makes test
runs hermetic: point LAMP_HOME at a temp dir and nothing touches the real home.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "config_dir", "config_file", "data_dir", "models_dir", "serve_socket"]

APP = "lamp"


def _home() -> Path | None:
    value = os.environ.get("LAMP_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "config"
    from platformdirs import user_config_path

    return user_config_path(APP)


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "data"
    from platformdirs import user_data_path

    return user_data_path(APP)


def cache_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP)


def config_file() -> Path:
    explicit = os.environ.get("LAMP_CONFIG")
    return Path(explicit).expanduser() if explicit else config_dir() / "config.toml"


def models_dir() -> Path:
    """Default model lives here; LAMP_MODELS_DIR lets several LAMP_HOMEs share one copy."""
    explicit = os.environ.get("LAMP_MODELS_DIR")
    return Path(explicit).expanduser() if explicit else data_dir() / "models"


def serve_socket() -> Path:
    """The Unix socket of `lamp serve`, in a directory only this user can enter."""
    explicit = os.environ.get("LAMP_SOCKET")
    if explicit:
        return Path(explicit).expanduser()
    home = _home()
    if home is not None:
        return home / "run" / "serve.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) / APP if runtime and Path(runtime).is_dir() else cache_dir() / "run"
    return base / "serve.sock"
