"""Declared capabilities: callers read flags, and every backend has every method."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lamp.agent.models import Backend, Capabilities, Message, Sampling, ScriptedBackend
from lamp.agent.models._llama_shim import PINNED
from lamp.agent.react.formats import NativeFormat
from lamp.agent.react.loop import AgentConfig, run_agent
from lamp.agent.tools import ToolContext, select_tools

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_the_shim_is_pinned_to_the_version_pyproject_installs() -> None:
    root = Path(__file__).resolve().parents[3]
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [re.sub(r"\s", "", d) for d in deps if d.startswith("llama-cpp-python")]
    assert pins == [f"llama-cpp-python=={PINNED}"]


def test_the_scripted_model_is_a_backend_with_optional_parts_off() -> None:
    model = ScriptedBackend()
    assert isinstance(model, Backend)
    assert model.capabilities == Capabilities(grammar=True)
    assert model.special_token_rule("<tool_call>") is None
    assert model.warm_prefix([Message("system", "s")]) == "off"
    assert model.load_seconds == 0.0 and model.count_text("abcdefgh") == 2


def test_the_loop_uses_what_a_backend_declares() -> None:
    call = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>'
    model = ScriptedBackend(
        capabilities=Capabilities(grammar=True, special_tokens=True, warm_prefix=True),
        special_tokens={"<tool_call>": "<[7]>", "</tool_call>": "<[8]>"},
    ).enqueue(call, "42.")
    events = list(run_agent(model, "6*7?", select_tools(["calculator"]),
                            ToolContext(cwd=Path.cwd()), NativeFormat(),
                            Sampling(temperature=0), AgentConfig(route=False)))
    grammar = model.requests[0][2]
    assert grammar is not None and "<[7]>" in grammar
    final = events[-1]
    assert final.steps[0]["prefix_cache"] == "live"  # warmed, because it said it can
    without = ScriptedBackend().enqueue(call, "42.")
    events = list(run_agent(without, "6*7?", select_tools(["calculator"]),
                            ToolContext(cwd=Path.cwd()), NativeFormat(),
                            Sampling(temperature=0), AgentConfig(route=False)))
    assert "<[7]>" not in (without.requests[0][2] or "")
    assert "prefix_cache" not in events[-1].steps[0]
