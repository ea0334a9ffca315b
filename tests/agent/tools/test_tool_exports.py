"""The tools packages export exactly what their __all__ names."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["lamp.agent.tools", "lamp.agent.tools.base",
                                    "lamp.agent.tools.runner", "lamp.agent.tools.registry",
                                    "lamp.agent.tools.builtins", "lamp.cli.tools"])
def test_all_is_accurate(module: str) -> None:
    mod = importlib.import_module(module)
    exported = getattr(mod, "__all__", None)
    assert exported, f"{module} has no __all__"
    assert [name for name in exported if not hasattr(mod, name)] == []
    assert len(set(exported)) == len(exported)


def test_importing_tools_stays_light() -> None:
    """`lamp tools list` and `lamp --help` must not pay for chromadb or llama.cpp."""
    import subprocess
    import sys

    code = ("import sys, lamp.agent.tools, lamp.cli.tools; "
            "print(sorted(m for m in ('chromadb', 'llama_cpp', 'lamp.agent.sandbox') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"
