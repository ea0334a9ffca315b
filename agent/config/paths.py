"""Where lamp keeps its files: platformdirs by default, one LAMP_HOME override for tests.

A single override (rather than one env var per directory) is what makes test
runs hermetic: point LAMP_HOME at a temp dir and nothing touches the real home.

lamp's data, config and cache directories hold the user's prompts, answers,
documents and settings, so they are private: created 0700 (``private_dir``), and
an existing one that an older lamp made 0755 is tightened whenever lamp resolves
it (``data_dir()`` and friends clear its group/other bits; one ``lstat`` when it
is already private). Only lamp's own directories are changed, never a parent such
as ``~/.local/share`` or a ``LAMP_HOME`` that already exists (lamp/memory/private_fs.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lamp.memory.private_fs import make_private_dirs, tighten

__all__ = ["Paths", "cache_dir", "config_dir", "config_file", "data_dir", "models_dir",
           "private_dir", "serve_socket"]

APP = "lamp"


def _own(path: Path) -> Path:
    """One of lamp's own directories (0700) or files (0600): if it exists open to others,
    clear its group/other bits."""
    tighten(path)
    return path


def private_dir(path: Path) -> Path:
    """Create a directory of lamp's (and any missing parent) 0700, or tighten it if it
    exists; returns it. For lamp's own directories only (see the module's docstring)."""
    make_private_dirs(path)
    return _own(path)


@dataclass(frozen=True)
class Paths:
    """lamp's folders as one environment names them (``LAMP_HOME`` and friends).

    A run reads the environment of whoever it runs for: `lamp serve` answers a client
    with the client's variables, never by changing its own process's."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def _home(self) -> Path | None:
        value = self.env.get("LAMP_HOME")
        return Path(value).expanduser() if value else None

    def config_dir(self) -> Path:
        home = self._home()
        if home is not None:
            return _own(home / "config")
        from platformdirs import user_config_path

        return _own(user_config_path(APP))

    def data_dir(self) -> Path:
        home = self._home()
        if home is not None:
            return _own(home / "data")
        from platformdirs import user_data_path

        return _own(user_data_path(APP))

    def cache_dir(self) -> Path:
        home = self._home()
        if home is not None:
            return _own(home / "cache")
        from platformdirs import user_cache_path

        return _own(user_cache_path(APP))

    def config_file(self) -> Path:
        """The settings file; lamp's own (not a LAMP_CONFIG the user named) is kept 0600:
        ``[mcp.servers.X] env`` may hold secrets."""
        explicit = self.env.get("LAMP_CONFIG")
        if explicit:
            return Path(explicit).expanduser()
        return _own(self.config_dir() / "config.toml")

    def models_dir(self) -> Path:
        """Default model lives here; LAMP_MODELS_DIR lets several LAMP_HOMEs share one
        copy."""
        explicit = self.env.get("LAMP_MODELS_DIR")
        return Path(explicit).expanduser() if explicit else self.data_dir() / "models"

    def serve_socket(self) -> Path:
        """The Unix socket of `lamp serve`. Its folder must be this user's and writable by
        no one else (`lamp serve` creates a missing one 0700 and refuses any other; clients
        check it, see cli/serve_guard.py). ``XDG_RUNTIME_DIR`` counts only when it is this
        user's (under `sudo` it may still name the invoking user's)."""
        explicit = self.env.get("LAMP_SOCKET")
        if explicit:
            return Path(explicit).expanduser()
        home = self._home()
        if home is not None:
            return home / "run" / "serve.sock"
        runtime = self.env.get("XDG_RUNTIME_DIR")
        try:
            ours = bool(runtime) and Path(runtime).is_dir() \
                and os.stat(runtime).st_uid == os.getuid()
        except OSError:
            ours = False
        base = Path(runtime) / APP if runtime and ours else self.cache_dir() / "run"
        return base / "serve.sock"


# This process's own folders, for code that runs outside any one caller's run.
def config_dir() -> Path:
    return Paths().config_dir()


def data_dir() -> Path:
    return Paths().data_dir()


def cache_dir() -> Path:
    return Paths().cache_dir()


def config_file() -> Path:
    return Paths().config_file()


def models_dir() -> Path:
    return Paths().models_dir()


def serve_socket() -> Path:
    return Paths().serve_socket()
