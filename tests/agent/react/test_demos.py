"""Built-in worked examples: only for enabled tools, and each one true to its tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.react.demos import BUILTIN_DEMOS, demos_for
from lamp.agent.sandbox import Sandbox
from lamp.agent.tools import ToolContext, run_tool, select_tools


def test_only_demos_whose_tools_are_all_enabled() -> None:
    assert demos_for([]) == demos_for(["shell"]) == ()
    only_calc = demos_for(["calculator", "read_file"])
    assert any(d.calls for d in only_calc)
    assert all(a.tool == "calculator" for d in only_calc for a, _ in d.calls)
    assert len(demos_for(["python", "calculator"])) == len(BUILTIN_DEMOS)
    assert demos_for(["python", "calculator"], "react") == ()  # they hurt ReAct steps


@pytest.mark.parametrize("demo", BUILTIN_DEMOS, ids=lambda d: d.calls[0][0].tool)
@pytest.mark.bwrap
def test_each_demo_shows_what_its_tool_really_returns(demo, tmp_path: Path) -> None:
    """A demo that lies about a tool's output would teach the model the wrong thing."""
    ctx = ToolContext(cwd=tmp_path, sandbox=Sandbox(timeout=10))
    for action, observation in demo.calls:
        [tool] = select_tools([action.tool])
        outcome = run_tool(tool, action.args, ctx)
        assert not outcome.is_error, outcome.output
        assert outcome.output.strip() == observation
    assert demo.answer.startswith(observation)
