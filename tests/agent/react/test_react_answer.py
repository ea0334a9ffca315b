"""The decisions around the ReAct loop: tools, context, demos, system prompt, sampling."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.errors import UsageError
from lamp.agent.events import FinalAnswer, Observation
from lamp.agent.models import Sampling, ScriptedBackend
from lamp.agent.react.answer import ToolOptions, run_with_tools
from lamp.agent.react.loop import DEFAULT_SYSTEM
from lamp.agent.sampling import greedy_unless_set

CALL = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>'


def test_request_names_and_checks() -> None:
    assert ToolOptions().tool_names() is None
    assert ToolOptions(tools=" default ").tool_names() is None
    assert ToolOptions(tools="python, calculator").tool_names() == ["python", "calculator"]
    ToolOptions(tools="calculator").check()
    with pytest.raises(UsageError, match="teleport"):
        ToolOptions(tools="teleport").check()
    with pytest.raises(UsageError, match="tool format"):
        ToolOptions(tool_format="xml").check()


def test_default_tools_leave_out_memory_search_without_a_store() -> None:
    run = run_with_tools(ScriptedBackend(), "q", ToolOptions(), Sampling())
    names = [t.name for t in run.tools]
    assert "search_memory" not in names and "calculator" in names
    run = run_with_tools(ScriptedBackend(), "q", ToolOptions(), Sampling(),
                         memory_store=object())
    assert "search_memory" in [t.name for t in run.tools]


def test_a_run_is_greedy_with_demos_and_the_agents_prompt(tmp_path: Path) -> None:
    model = ScriptedBackend().enqueue("tool", "yes", CALL, "42")  # the router, then steps
    run = run_with_tools(model, "6*7?", ToolOptions(tools="calculator"),
                         Sampling(temperature=0.7), cwd=tmp_path)
    events = list(run.events)
    assert next(e for e in events if isinstance(e, Observation)).output == "42"
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "42"
    messages, sampling, _ = model.requests[2]
    assert sampling.temperature == 0.0
    assert messages[0].content.startswith(DEFAULT_SYSTEM)
    assert "18% of 2,450" in messages[1].content  # the calculator demo
    assert run.fmt.name == "native"


def test_without_routing_the_first_request_is_the_agents_step(tmp_path: Path) -> None:
    model = ScriptedBackend().enqueue(CALL, "42")  # no router replies queued
    run = run_with_tools(model, "6*7?", ToolOptions(tools="calculator", route=False),
                         Sampling(), cwd=tmp_path)
    events = list(run.events)
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "42"
    assert len(model.requests) == 2
    assert model.requests[0][0][0].content.startswith(DEFAULT_SYSTEM)


def test_the_users_temperature_and_system_prompt_win() -> None:
    model = ScriptedBackend().enqueue("tool", "yes", "42")
    run = run_with_tools(model, "q", ToolOptions(tools="calculator", system="Be brief."),
                         Sampling(temperature=0.4), chosen={"temperature"})
    list(run.events)
    messages, sampling, _ = model.requests[2]
    assert sampling.temperature == 0.4 and messages[0].content.startswith("Be brief.")
    # Both router questions are shown the user's instructions; lamp's own prompt is not.
    for router_messages, _, _ in model.requests[:2]:
        assert router_messages[0].content.endswith("apply here too:\nBe brief.")


def test_the_router_is_not_shown_lamps_own_system_prompt() -> None:
    model = ScriptedBackend().enqueue("tool", "yes", "42")
    list(run_with_tools(model, "q", ToolOptions(tools="calculator"), Sampling()).events)
    for router_messages, _, _ in model.requests[:2]:
        assert "instructions" not in router_messages[0].content
        assert DEFAULT_SYSTEM not in router_messages[0].content


def test_greedy_unless_set() -> None:
    assert greedy_unless_set(Sampling(temperature=0.7), ()).temperature == 0.0
    assert greedy_unless_set(Sampling(temperature=0.7), {"temperature"}).temperature == 0.7
