"""A real plugin distribution on sys.path, for the registry and CLI tests."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

PLUGIN_MODULE = '''
from typing import Any, ClassVar

from lamp.agent.tools import Tool, ToolContext


class Weather(Tool):
    name = "weather"
    description = "Current weather for a city."
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "properties": {"city": {"type": "string"}},
        "required": ["city"], "additionalProperties": False}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return f"sunny in {args['city']}"


def shout(text: str) -> str:
    """Say the text loudly.

    Args:
        text: What to say.
    """
    return text.upper() + "!"


not_a_tool = 42


class Python(Weather):
    name = "python"
'''


def _distribution(root: Path, dist: str, module: str, source: str, entry_points: str) -> None:
    """A real installed distribution, as pip would leave it: module + *.dist-info."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    modules = ("lamp_test_weather", "lamp_test_broken")
    _distribution(tmp_path, "lamp-test-weather", "lamp_test_weather", PLUGIN_MODULE, """
        [lamp.tools]
        weather = lamp_test_weather:Weather
        shout = lamp_test_weather:shout
        """)
    _distribution(tmp_path, "lamp-test-broken", "lamp_test_broken",
                  "raise ImportError('needs a missing library')\n", """
        [lamp.tools]
        broken = lamp_test_broken:Tool
        number = lamp_test_weather:not_a_tool
        clash = lamp_test_weather:Python
        again = lamp_test_weather:Weather
        """)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in modules:
        sys.modules.pop(name, None)
