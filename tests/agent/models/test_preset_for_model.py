from __future__ import annotations

import pytest

from lamp.agent.app.tools import step_format, tool_routing
from lamp.agent.config.settings import Settings
from lamp.agent.models.catalog import DEFAULT_PRESET, PRESETS, preset_for_model


@pytest.mark.parametrize("spec, name", [
    ("", DEFAULT_PRESET),
    ("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b"),
    (" Qwen2.5-Coder-1.5B ", "qwen2.5-coder-1.5b"),
    ("/data/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "qwen2.5-coder-0.5b"),
    ("hf:someone/repo/model.gguf", None),
    ("/tmp/other.gguf", None),
])
def test_a_model_value_names_its_preset(spec: str, name: str | None) -> None:
    found = preset_for_model(spec)
    assert (found.name if found else None) == name


def test_auto_step_format_is_the_presets_and_native_elsewhere() -> None:
    for preset in PRESETS.values():
        assert step_format("auto", Settings(model=preset.name)) == preset.tool_format
    assert step_format("auto", Settings(model="/tmp/other.gguf")) == "native"
    # Behind a server the model is unknown: its own format.
    assert step_format("auto", Settings(backend="openai", base_url="http://127.0.0.1:1/v1")) \
        == "native"
    assert step_format("react", Settings()) == "react"


def test_auto_routing_is_the_presets_and_on_elsewhere() -> None:
    for preset in PRESETS.values():
        assert tool_routing("auto", Settings(model=preset.name)) is preset.route
    assert tool_routing("auto", Settings(model="/tmp/other.gguf")) is True
    assert tool_routing("auto", Settings(backend="openai", base_url="http://127.0.0.1:1/v1")) \
        is True
    assert tool_routing("off", Settings()) is False
    assert tool_routing("on", Settings(model="qwen2.5-coder-0.5b")) is True

