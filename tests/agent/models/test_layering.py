"""The model layer stands alone: nothing in agent/models imports the rest of lamp.agent."""

from __future__ import annotations

import ast
from pathlib import Path

import lamp.agent.models

PACKAGE = "lamp.agent.models"
MODELS_DIR = Path(lamp.agent.models.__file__).parent


def _imported(path: Path, package: str = PACKAGE) -> list[str]:
    """Every module ``path`` imports, anywhere in it (inside functions and
    ``TYPE_CHECKING`` blocks too), relative imports resolved against ``package``."""
    parts = package.split(".")
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.append(module)
    return names


def _package_of(path: Path) -> str:
    return ".".join([PACKAGE, *path.parent.relative_to(MODELS_DIR).parts])


def _outside_models(module: str) -> bool:
    inside_agent = module == "lamp.agent" or module.startswith("lamp.agent.")
    inside_models = module == PACKAGE or module.startswith(PACKAGE + ".")
    return inside_agent and not inside_models


def test_the_checker_sees_relative_imports_above_the_package(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from ..events import Usage\nfrom . import backend\n"
                      "def f():\n    from lamp.agent.errors import UsageError\n")
    assert [m for m in _imported(sample) if _outside_models(m)] == [
        "lamp.agent.events", "lamp.agent.errors"]


def test_models_import_nothing_from_the_rest_of_the_agent() -> None:
    files = sorted(MODELS_DIR.rglob("*.py"))
    assert files
    found = {f"{path.relative_to(MODELS_DIR)}: {module}" for path in files
             for module in _imported(path, _package_of(path)) if _outside_models(module)}
    assert found == set()
