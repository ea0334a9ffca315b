"""An MCP server's tools as lamp Tool classes: ``SERVER.TOOL``, same loop, same grammar.

A server's input schema is full JSON Schema; lamp's steps are generated under a
grammar built from a subset (``tools/_schema.py``). ``adapt_schema`` rewrites
what has a faithful equivalent in the subset (``anyOf [X, null]`` is an optional
X, ``const`` a one-value enum, local ``$ref`` inlined, objects closed) and moves
constraints the grammar cannot hold (``minimum``, ``pattern``...) into the
description, where the model can still read them; the server checks them
anyway. A schema with no equivalent (a union of objects, recursion) makes that
one tool unavailable, with a warning, rather than letting the model guess.

Results: text blocks, then the structured content as JSON when the server gave
it (once, when the text already is that JSON), as the observation; an error
result is an error observation.

Approval: a server's ``readOnlyHint`` is its own claim, and any server can make
it. So a tool runs without asking only when it is marked read-only *and* either
the person marked the server ``trusted = true`` in its config, or lamp's own
confinement makes it true (``Connection.read_only``: no write paths, no network,
and L1 or L2 confirmed, so it can write nothing but its own temp dir). Every
other tool asks, like the built-ins that change things.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..tools import Tool, ToolContext, ToolError
from ..tools._schema import check_schema
from .client import McpError, RemoteTool, looks_denied

__all__ = ["SchemaUnsupported", "adapt_schema", "observation", "tool_class"]

_KEEP = {"type", "properties", "required", "items", "enum", "description", "default"}
_NOTE_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
              "maxLength", "pattern", "format", "minItems", "maxItems", "multipleOf")
_MAX_DEPTH = 8


class SchemaUnsupported(ValueError):
    """The schema has no equivalent lamp's grammar can enforce."""


def adapt_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` in lamp's subset (a new dict); SchemaUnsupported when it has none."""
    defs = {**schema.get("$defs", {}), **schema.get("definitions", {})}
    top = dict(schema)
    top.setdefault("type", "object")
    top.setdefault("properties", {})
    out = _node(top, defs, 0)
    problems = check_schema(out)
    if problems:
        raise SchemaUnsupported(problems[0])
    return out


def _node(node: Any, defs: dict[str, Any], depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise SchemaUnsupported("the schema nests too deep (or refers to itself)")
    if not isinstance(node, dict):
        raise SchemaUnsupported(f"a schema must be an object, not {node!r}")
    node = _resolve(node, defs, depth)
    node = _collapse_optional(node, defs, depth)
    if "const" in node and "enum" not in node:
        node = {**node, "enum": [node["const"]]}
    kind = node.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) != 1:
            raise SchemaUnsupported(f"a value of several types ({', '.join(kind)})")
        kind = kinds[0]
    if kind is None and "enum" in node:
        kind = _enum_type(node["enum"])
    if kind is None and "properties" in node:
        kind = "object"
    if kind not in ("string", "integer", "number", "boolean", "array", "object"):
        raise SchemaUnsupported(f"no type lamp can enforce ({_short(node)})")
    out: dict[str, Any] = {"type": kind}
    notes = [f"{k} {node[k]}" for k in _NOTE_KEYS if k in node and not isinstance(
        node[k], (dict, list))]
    description = " ".join(filter(None, [str(node.get("description", "")).strip(),
                                         f"({', '.join(notes)})" if notes else ""]))
    if description:
        out["description"] = description
    if "enum" in node:
        out["enum"] = [v for v in node["enum"] if v is not None]
        if not out["enum"]:
            raise SchemaUnsupported("an enum of null only")
    if kind == "array":
        items = node.get("items")
        if not isinstance(items, dict) or not items:
            raise SchemaUnsupported("an array without a schema for its items")
        out["items"] = _node(items, defs, depth + 1)
    if kind == "object":
        props = node.get("properties")
        if not isinstance(props, dict):
            raise SchemaUnsupported("an object without listed properties")
        out["properties"] = {k: _node(v, defs, depth + 1) for k, v in props.items()}
        out["required"] = [r for r in node.get("required", []) if r in props]
        out["additionalProperties"] = False
    if "default" in node and node["default"] is not None:
        out["default"] = node["default"]
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any], depth: int) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    for prefix in ("#/$defs/", "#/definitions/"):
        if ref.startswith(prefix) and ref[len(prefix):] in defs:
            merged = {**defs[ref[len(prefix):]], **{k: v for k, v in node.items() if k != "$ref"}}
            return _resolve(merged, defs, depth + 1) if depth < _MAX_DEPTH else merged
    raise SchemaUnsupported(f"a reference lamp cannot follow ({ref})")


def _collapse_optional(node: dict[str, Any], defs: dict[str, Any], depth: int
                       ) -> dict[str, Any]:
    """``anyOf``/``oneOf`` of one schema and null: that schema (the key is optional anyway)."""
    for key in ("anyOf", "oneOf"):
        if key in node:
            options = [o for o in node[key]
                       if not (isinstance(o, dict) and o.get("type") == "null")]
            if len(options) != 1:
                raise SchemaUnsupported(f"a choice between {len(options)} kinds of value ({key})")
            rest = {k: v for k, v in node.items() if k != key}
            return {**_resolve(options[0], defs, depth), **rest}
    return node


def _enum_type(values: list[Any]) -> str | None:
    kinds = {type(v) for v in values if v is not None}
    table = {str: "string", bool: "boolean", int: "integer", float: "number"}
    return table.get(kinds.pop()) if len(kinds) == 1 else None


def _short(node: dict[str, Any]) -> str:
    text = json.dumps({k: v for k, v in node.items() if k not in ("description", "title")})
    return text if len(text) <= 80 else text[:77] + "..."


def observation(result: Any) -> str:
    """A CallToolResult as the model reads it; raises ToolError for an error result."""
    parts: list[str] = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} {block.mime_type}, {len(block.data) * 3 // 4:,} bytes]")
        elif kind == "resource_link":
            parts.append(f"[resource {block.uri}]")
        elif kind == "resource":
            inner = block.resource
            parts.append(getattr(inner, "text", None) or f"[resource {inner.uri}]")
    text = "\n".join(p for p in parts if p)
    structured = result.structured_content
    if structured is not None and not _same_json(text, structured):
        shown = json.dumps(structured, ensure_ascii=False)
        text = f"{text}\nstructured: {shown}" if text else shown
    if result.is_error:
        raise ToolError(text or "the tool reported an error without a message")
    return text or "(the tool returned nothing)"


def _same_json(text: str, value: Any) -> bool:
    """True when the text block already says what the structured content says (servers
    built with the SDK send both; a plain ``str`` result comes back as ``{"result": text}``)."""
    if isinstance(value, dict) and list(value) == ["result"] and value["result"] == text:
        return True
    try:
        return json.loads(text) == value
    except ValueError:
        return False


def tool_class(server: str, remote: RemoteTool, call: Callable[[str, dict[str, Any]], Any],
               *, timeout: float, denial_hint: str = "", trusted: bool = False,
               confined_read_only: bool = False) -> type[Tool]:
    """A Tool subclass named ``server.remote_name`` whose ``run`` calls the server.

    ``call(tool_name, args)`` returns the CallToolResult (the hub, bound to the server).
    ``denial_hint`` is added to an error that reads like a refused system call, so the
    person and the model see that lamp's confinement, not the server, said no.
    ``trusted``: the person trusts the server's annotations; ``confined_read_only``:
    lamp's confinement keeps the server from changing anything (see the module's
    docstring).
    """
    schema = adapt_schema(remote.input_schema)

    def run(self: Tool, args: dict[str, Any], ctx: ToolContext) -> str:
        try:
            return observation(call(remote.name, args))
        except McpError as exc:
            raise ToolError(str(exc)) from exc
        except ToolError as exc:
            message = str(exc)
            if denial_hint and looks_denied(message):
                message += f" [{denial_hint}]"
            raise ToolError(message) from exc

    namespace: dict[str, Any] = {
        "name": f"{server}.{remote.name}",
        "description": remote.description or f"{remote.name} (from the MCP server {server})",
        "input_schema": schema,
        "needs_approval": not (remote.read_only and (trusted or confined_read_only)),
        "timeout": timeout + 1,  # the hub's own deadline comes first, with a clearer message
        "server": server,
        "remote_name": remote.name,
        "run": run,
    }
    return type(f"Mcp_{server}_{remote.name}".replace("-", "_").replace(".", "_"), (Tool,),
                namespace)
