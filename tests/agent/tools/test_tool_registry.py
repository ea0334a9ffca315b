"""The registry: built-ins, plugins through real entry points, and --tools/--allow rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.errors import UsageError
from lamp.agent.tools import BUILTIN_TOOLS, Tool, load_tools, select_tools
from lamp.cli.errors import exit_code_for


def test_builtins_are_all_there_and_only_shell_is_off_or_asks() -> None:
    assert sorted(BUILTIN_TOOLS) == ["calculator", "list_dir", "python", "read_file",
                                     "search_memory", "shell"]
    off = [n for n, cls in BUILTIN_TOOLS.items() if not cls.enabled_by_default]
    asks = [n for n, cls in BUILTIN_TOOLS.items() if cls.needs_approval]
    assert off == asks == ["shell"]
    registry = load_tools(include_plugins=False)
    assert dict(registry) == BUILTIN_TOOLS and registry.warnings == ()
    assert {registry.origin(n) for n in registry} == {"built-in"}


def test_plugins_load_through_real_entry_points(plugins: Path) -> None:
    registry = load_tools()
    assert registry.origin("weather") == "lamp-test-weather"
    assert registry.origin("shout") == "lamp-test-weather"
    assert issubclass(registry["shout"], Tool)
    assert registry["shout"].input_schema["properties"]["text"] == {
        "type": "string", "description": "What to say."}
    assert registry["shout"]().run({"text": "hi"}, None) == "HI!"  # type: ignore[arg-type]
    assert registry["python"] is BUILTIN_TOOLS["python"]
    assert "weather" not in load_tools(include_plugins=False)


def test_broken_plugins_are_skipped_with_warnings(plugins: Path) -> None:
    registry = load_tools()
    warnings = "\n".join(registry.warnings)
    assert len(registry.warnings) == 3, warnings
    assert ("plugin tool 'broken' from lamp-test-broken was skipped: "
            "ImportError: needs a missing library") in warnings
    assert "plugin tool 'number' from lamp-test-broken was skipped: TypeError" in warnings
    assert "the name 'python' is already taken by built-in" in warnings
    # the same class registered twice is not a conflict
    assert "'again'" not in warnings
    assert set(registry) >= {"weather", "shout", *BUILTIN_TOOLS}


def test_select_defaults_and_named_tools(plugins: Path) -> None:
    assert [t.name for t in select_tools(None, registry=load_tools(False))] == [
        "python", "calculator", "read_file", "list_dir", "search_memory"]
    chosen = select_tools(["weather", "calculator", "weather"])
    assert [t.name for t in chosen] == ["weather", "calculator"]
    assert all(isinstance(t, Tool) for t in chosen)


def test_unknown_tool_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError) as info:
        select_tools(["pyhton"])
    assert exit_code_for(info.value) == 2
    assert str(info.value) == ("unknown tool 'pyhton' in --tools (known: calculator, list_dir, "
                               "python, read_file, search_memory, shell)")
    with pytest.raises(UsageError, match="in --allow"):
        select_tools(None, allow=["sh"])


def test_shell_needs_allow() -> None:
    with pytest.raises(UsageError, match="'shell' is off by default; enable it with --allow"):
        select_tools(["shell"])
    assert [t.name for t in select_tools(["shell"], allow=["shell"])] == ["shell"]
    assert [t.name for t in select_tools(["python"], allow=["shell"])] == ["python", "shell"]
    assert "shell" in [t.name for t in select_tools(None, allow=["shell"])]
    assert "shell" not in [t.name for t in select_tools(None)]
