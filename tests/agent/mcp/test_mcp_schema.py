"""MCP pieces that need no server: config checks, schema adaptation, result text."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lamp.agent.errors import UsageError
from lamp.agent.mcp import SchemaUnsupported, adapt_schema, observation, parse_servers
from lamp.agent.tools import ToolError, validate_args


def test_config_is_checked_when_read() -> None:
    servers = parse_servers({"servers": {"files": {"command": "python3", "args": ["s.py"],
                                                   "read": ["/srv/notes"], "network": False}}})
    files = servers["files"]
    assert files.transport == "stdio" and files.read == ("/srv/notes",)
    assert files.network is False and files.memory_mb == 1024
    remote = parse_servers({"servers": {"web": {"url": "http://127.0.0.1:9/mcp"}}})["web"]
    assert remote.transport == "http"
    for bad, message in [({"files": {"command": "x", "reed": []}}, "unknown key 'reed'"),
                         ({"files": {"command": "x", "url": "http://a"}}, "exactly one"),
                         ({"Files": {"command": "x"}}, "server name"),
                         ({"files": {"command": "x", "network": "yes"}}, "true or false"),
                         ({"files": {"url": "ftp://a"}}, "http://"),
                         ({"python": {"command": "x"}}, "built-in tool's name")]:
        with pytest.raises(UsageError, match=message):
            parse_servers({"servers": bad})


def test_sdk_style_schemas_become_the_enforceable_subset() -> None:
    # What the SDK generates from `def read(path: str, limit: int | None = None)`.
    schema = {"type": "object", "title": "readArguments", "required": ["path"],
              "properties": {"path": {"title": "Path", "type": "string", "minLength": 1},
                             "limit": {"anyOf": [{"type": "integer"}, {"type": "null"}],
                                       "default": None, "title": "Limit"}}}
    out = adapt_schema(schema)
    assert out["additionalProperties"] is False
    assert out["properties"]["limit"] == {"type": "integer"}
    assert "minLength 1" in out["properties"]["path"]["description"]
    assert validate_args(out, {"path": "a.txt"}) == []
    assert validate_args(out, {"path": "a.txt", "extra": 1})  # closed: no invented keys


def test_references_and_constants_are_inlined() -> None:
    schema = {"type": "object", "properties": {"where": {"$ref": "#/$defs/Place"},
                                               "mode": {"const": "fast"}},
              "$defs": {"Place": {"type": "object", "properties": {"city": {"type": "string"}},
                                  "required": ["city"]}}}
    out = adapt_schema(schema)
    assert out["properties"]["where"]["properties"]["city"] == {"type": "string"}
    assert out["properties"]["mode"] == {"type": "string", "enum": ["fast"]}


@pytest.mark.parametrize("prop", [
    {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    {"type": "array"},
    {"$ref": "https://example.com/schema"},
    {"type": "object"},
])
def test_schemas_without_an_equivalent_are_refused(prop: dict) -> None:
    with pytest.raises(SchemaUnsupported):
        adapt_schema({"type": "object", "properties": {"x": prop}})


def _result(text: str, structured: object = None, is_error: bool = False) -> SimpleNamespace:
    block = SimpleNamespace(type="text", text=text)
    return SimpleNamespace(content=[block], structured_content=structured, is_error=is_error)


def test_observation_shows_text_and_structured_content_once() -> None:
    assert observation(_result('{"words": 3}', {"words": 3})) == '{"words": 3}'
    assert observation(_result("shelf 7-K", {"result": "shelf 7-K"})) == "shelf 7-K"
    assert observation(_result("done", {"rows": 2})) == 'done\nstructured: {"rows": 2}'
    with pytest.raises(ToolError, match="no such item"):
        observation(_result("no such item", is_error=True))
