"""Each package's __all__ names only what it really exports."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["lamp.agent", "lamp.agent.events", "lamp.agent.models",
                                    "lamp.agent.models.backend", "lamp.agent.models.scripted",
                                    "lamp.agent.models.llama_backend", "lamp.agent.models",
                                    "lamp.agent.errors", "lamp.agent.conversation",
                                    "lamp.agent.templates", "lamp.agent.models.model_store",
                                    "lamp.agent.models.http_backend", "lamp.agent.pal.solve",
                                    "lamp.agent.models.factory", "lamp.agent.models.errors",
                                    "lamp.agent.models.usage",
                                    "lamp.agent.models.control_tokens",
                                    "lamp.agent.pal.prompt", "lamp.agent.react.answer",
                                    "lamp.agent.sampling", "lamp.agent.records",
                                    "lamp.agent.structured.spec", "lamp.agent.structured.output",
                                    "lamp.agent.shell.drafter", "lamp.agent.shell.risk",
                                    "lamp.agent.shell.parser", "lamp.agent.shell.words",
                                    "lamp.agent.shell.lexer", "lamp.agent.framing",
                                    "lamp.agent.visible_text", "lamp.cli.serve_guard",
                                    "lamp.agent.sandbox", "lamp.memory", "lamp.agent.app.each",
                                    "lamp.agent.language", "lamp.memory.journal",
                                    "lamp.memory.runlog", "lamp.agent.app.runlog",
                                    "lamp.cli.logs_cmd",
                                    "lamp.agent.config.settings", "lamp.cli.render",
                                    "lamp.cli.main",
                                    "lamp.cli.runtime", "lamp.cli.options", "lamp.cli.common",
                                    "lamp.cli.errors", "lamp.cli.cmd", "lamp.cli.cmd_session",
                                    "lamp.cli.shell_env", "lamp.cli.shell_init",
                                    "lamp.agent.mcp", "lamp.agent.mcp.client",
                                    "lamp.agent.mcp.confine", "lamp.cli.mcp", "lamp.cli.tools"])
def test_all_is_accurate(module: str) -> None:
    mod = importlib.import_module(module)
    exported = getattr(mod, "__all__", None)
    assert exported, f"{module} has no __all__"
    missing = [name for name in exported if not hasattr(mod, name)]
    assert missing == []
    assert len(set(exported)) == len(exported)


def test_every_subpackage_is_installed() -> None:
    """A folder with an __init__.py that pyproject does not list is missing from wheels."""
    import sys
    from pathlib import Path

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    for top, name in (("agent", "lamp.agent"), ("cli", "lamp.cli"), ("memory", "lamp.memory")):
        for init in (root / top).rglob("__init__.py"):
            rel = init.parent.relative_to(root / top).parts
            assert ".".join((name, *rel)) in listed, f"{init.parent} not in pyproject packages"


def test_memorys_names_are_its_functions_whatever_was_imported_first() -> None:
    # ``recall`` is a submodule and a function of lamp.memory; importing the submodule
    # must not leave the package's name pointing at the module.
    import subprocess
    import sys

    code = ("import lamp.memory.store, lamp.memory.recall\n"
            "from lamp.memory import MemoryStore, format_memory, recall\n"
            "assert callable(recall) and callable(format_memory), recall\n"
            "assert MemoryStore.__name__ == 'MemoryStore'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
