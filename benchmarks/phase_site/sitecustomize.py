"""Put on PYTHONPATH of a process whose start-up benchmarks/startup_phases.py measures.

It stamps wall-clock times (``time.time()``, comparable with the parent's) when the
interpreter reaches site start-up, when ``llama_cpp.Llama.__init__`` starts and ends
(the model load), and when the interpreter begins to exit, and writes them as JSON
to ``$PHASES_OUT``. With ``PHASES_AMX=1`` it also applies benchmarks/amx_site's
workaround (only one sitecustomize is imported per process). Measurement only:
lamp itself never loads this.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from pathlib import Path

_stamps: dict[str, float] = {"site": time.time()}


def _write() -> None:
    _stamps["exit"] = time.time()
    Path(os.environ["PHASES_OUT"]).write_text(json.dumps(_stamps))


def _time_the_load(module: object) -> None:
    cls = module.Llama  # type: ignore[attr-defined]
    original = cls.__init__

    def timed_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _stamps.setdefault("load_start", time.time())
        original(self, *args, **kwargs)
        _stamps.setdefault("load_end", time.time())

    cls.__init__ = timed_init


class _Finder(importlib.abc.MetaPathFinder):
    """Patches ``llama_cpp.llama`` right after it executes, whoever imports it."""

    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name != "llama_cpp.llama":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module):  # type: ignore[no-untyped-def]
            run(module)
            _time_the_load(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if os.environ.get("PHASES_OUT"):
    sys.meta_path.insert(0, _Finder())
    atexit.register(_write)
    if os.environ.get("PHASES_AMX"):
        amx = Path(__file__).resolve().parents[1] / "amx_site" / "sitecustomize.py"
        exec(compile(amx.read_text(), str(amx), "exec"), {"__name__": "amx_site"})
