"""Each package's __all__ names only what it really exports."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["lamp.agent", "lamp.agent.events", "lamp.agent.backend",
                                    "lamp.agent.errors", "lamp.agent.conversation",
                                    "lamp.agent.templates", "lamp.agent.model_store",
                                    "lamp.cli.config", "lamp.cli.render", "lamp.cli.main"])
def test_all_is_accurate(module: str) -> None:
    mod = importlib.import_module(module)
    exported = getattr(mod, "__all__", None)
    assert exported, f"{module} has no __all__"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert missing == []
    assert len(set(exported)) == len(exported)
