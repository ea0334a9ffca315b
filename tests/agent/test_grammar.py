"""Step grammars: they compile in llama.cpp, and formats parse what the grammars allow."""

from __future__ import annotations

import json

import pytest

from lamp.agent.grammar import GrammarBuilder, literal
from lamp.agent.react.formats import Action, Final, NativeFormat, ReactFormat, ToolSpec

llama_cpp = pytest.importorskip("llama_cpp")

SPECS = [
    ToolSpec("calculator", "Exact arithmetic.", {
        "type": "object", "properties": {"expression": {"type": "string"}},
        "required": ["expression"], "additionalProperties": False}),
    ToolSpec("weather.get", "Weather for a city.", {
        "type": "object", "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer"},
            "coords": {"type": "array", "items": {"type": "number"}},
            "opts": {"type": "object", "properties": {"hourly": {"type": "boolean"}}},
            "anything": {}},
        "required": ["city"], "additionalProperties": False}),
    ToolSpec("ping", "No input.", {"type": "object", "properties": {},
                                   "additionalProperties": False}),
]


def compiles(grammar: str) -> bool:
    return llama_cpp.LlamaGrammar.from_string(grammar, verbose=False) is not None


@pytest.mark.parametrize("fmt", [ReactFormat(), NativeFormat()])
def test_step_grammars_compile(fmt) -> None:
    assert compiles(fmt.grammar(SPECS))
    assert compiles(fmt.grammar([]))  # no tools: only a final answer is possible


def test_literal_escapes() -> None:
    assert literal('say "hi"\n\\') == '"say \\"hi\\"\\n\\\\"'


def test_optional_properties_without_required_ones() -> None:
    b = GrammarBuilder()
    b.schema_rule({"type": "object", "properties": {"a": {"type": "integer"},
                                                    "b": {"type": "string"}}}, "o")
    assert compiles(b.render("o"))


def test_react_parse() -> None:
    fmt = ReactFormat()
    step = 'Thought: add them\nAction: calculator\nAction Input: {"expression": "1+2"}'
    assert fmt.parse(step) == Action("calculator", {"expression": "1+2"}, "add them")
    assert fmt.parse("Thought: done\nFinal Answer: 3\nmore") == Final("3\nmore", "done")
    assert fmt.parse('Thought: x\nAction: calculator\nAction Input: {"expr') is None


def test_native_parse_tagged_and_bare() -> None:
    fmt = NativeFormat()
    call = {"name": "ping", "arguments": {}}
    assert fmt.parse(f"<tool_call>\n{json.dumps(call)}\n</tool_call>") == Action("ping", {})
    assert fmt.parse(json.dumps(call)) == Action("ping", {})
    assert fmt.parse("It is sunny.") == Final("It is sunny.")
    assert fmt.parse("") is None


def test_native_uses_the_template_when_the_backend_renders_tools() -> None:
    fmt = NativeFormat()
    in_template = fmt.messages("sys", SPECS, "q", [], template_tools=True)
    in_text = fmt.messages("sys", SPECS, "q", [], template_tools=False)
    assert in_template[0].content == "sys" and "<tools>" in in_text[0].content
    assert fmt.template_tools(SPECS)[0]["function"]["name"] == "calculator"
