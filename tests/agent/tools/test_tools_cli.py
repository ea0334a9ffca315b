"""`lamp tools list`, through the Typer group mounted the way lamp's main app mounts it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from lamp.cli.tools import app as tools_app

lamp = typer.Typer()
lamp.add_typer(tools_app, name="tools")


def test_list_shows_every_builtin_with_its_flags() -> None:
    result = CliRunner().invoke(lamp, ["tools", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    names = [line.split()[0] for line in lines if line and not line.startswith("enable")]
    assert names == ["python", "calculator", "read_file", "list_dir", "search_memory", "shell"]
    shell = next(line for line in lines if line.startswith("shell "))
    assert shell.endswith("[off by default; asks before running]")
    python = next(line for line in lines if line.startswith("python "))
    assert not python.endswith("]")  # on by default, runs without asking


def test_list_json_has_schemas_and_origins(plugins: Path) -> None:
    result = CliRunner().invoke(lamp, ["tools", "list", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = {row["name"]: row for row in payload["tools"]}
    assert rows["calculator"] == {
        "name": "calculator", "description": rows["calculator"]["description"],
        "needs_approval": False, "asks_when": None, "enabled_by_default": True,
        "origin": "built-in",
        "package": None, "timeout": 10.0,
        "input_schema": {"type": "object",
                         "properties": {"expression": {
                             "type": "string",
                             "description": "The arithmetic expression, written with the "
                                            "numbers the question gives"}},
                         "required": ["expression"], "additionalProperties": False}}
    assert rows["shell"]["needs_approval"] and not rows["shell"]["enabled_by_default"]
    assert rows["weather"]["origin"] == "plugin"
    assert rows["weather"]["package"] == "lamp-test-weather"
    assert len(payload["warnings"]) == 3


def test_plugin_warnings_go_to_stderr_and_plugins_are_marked(plugins: Path) -> None:
    result = CliRunner().invoke(lamp, ["tools", "list"])
    assert result.exit_code == 0
    assert "lamp: warning: plugin tool 'broken' from lamp-test-broken was skipped" in (
        result.stderr)
    weather = next(line for line in result.stdout.splitlines() if line.startswith("weather "))
    assert weather.endswith("[plugin: lamp-test-weather]")
