"""Shared fixtures: a hermetic LAMP_HOME per test, and the real default model shared read-only.

The default model is assembled once into the user's normal models dir (as a
user's first run would) and shared through LAMP_MODELS_DIR, so each test gets
a fresh config/data home without re-assembling 491 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lamp.agent.config import paths
from lamp.agent.models.model_store import ensure_default_model

_REAL_MODELS_DIR = paths.models_dir()


@pytest.fixture(autouse=True)
def lamp_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("lamp-home")
    monkeypatch.setenv("LAMP_HOME", str(home))
    monkeypatch.setenv("LAMP_MODELS_DIR", str(_REAL_MODELS_DIR))
    # LAMP_SANDBOX_BWRAP describes the machine (CI hides bubblewrap with it), not the
    # user's settings: it stays.
    for key in list(os.environ):
        if key.startswith("LAMP_") and key not in {"LAMP_HOME", "LAMP_MODELS_DIR",
                                                   "LAMP_SANDBOX_BWRAP"}:
            monkeypatch.delenv(key)
    return home


@pytest.fixture(scope="session")
def default_model() -> Path:
    return ensure_default_model(_REAL_MODELS_DIR)


_SCRIPT = Path(sys.executable).parent / "lamp"
# The installed console script when present (what users run), else the module.
LAMP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lamp.cli"]


@pytest.fixture
def run_lamp():
    """The real CLI in a subprocess: ``run_lamp("ask", "hi", stdin=b"...")``."""
    return _run_lamp


def _run_lamp(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
             timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    """Run the real CLI in a subprocess, stdin a pipe (or /dev/null), stdout a pipe."""
    return subprocess.run(
        [*LAMP, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
