"""The JSON Schema subset tool inputs may use, and a small validator for it.

Each step of the ReAct loop is generated under a grammar built from these
schemas, so the subset is what a grammar can enforce: plain types, arrays with
``items``, closed objects, ``enum``; plus ``description`` and ``default`` as
notes. Keywords outside it (``minimum``, ``pattern``, ``anyOf``...) are refused
when the tool class is defined rather than silently ignored at run time.
We check it ourselves: a full JSON Schema library would be a dependency for
thirty lines of logic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SCHEMA_TYPES", "check_schema", "validate_args"]

SCHEMA_TYPES = ("string", "integer", "number", "boolean", "array", "object")

_NOTES = {"description", "default", "title"}
_KEYS = {
    "string": {"type", "enum"},
    "integer": {"type", "enum"},
    "number": {"type", "enum"},
    "boolean": {"type", "enum"},
    "array": {"type", "items"},
    "object": {"type", "properties", "required", "additionalProperties"},
}


def check_schema(schema: Any, where: str = "input_schema") -> list[str]:
    """Problems with a tool's input schema (empty when it is usable).

    The top level must be an object; every object is closed
    (``"additionalProperties": False``) so the model cannot invent keys.
    """
    problems = _check_node(schema, where)
    if not problems and schema.get("type") != "object":
        problems.append(f"{where}: the top level must have type 'object'")
    return problems


def _check_node(node: Any, where: str) -> list[str]:
    if not isinstance(node, Mapping):
        return [f"{where}: a schema must be a dict, not {type(node).__name__}"]
    kind = node.get("type")
    if kind not in SCHEMA_TYPES:
        return [f"{where}: 'type' must be one of {', '.join(SCHEMA_TYPES)} (got {kind!r})"]
    problems = [f"{where}: unsupported keyword {key!r} for type {kind}"
                for key in node if key not in _KEYS[kind] | _NOTES]
    if "description" in node and not isinstance(node["description"], str):
        problems.append(f"{where}: 'description' must be a string")
    if "enum" in node:
        enum = node["enum"]
        if not isinstance(enum, list) or not enum:
            problems.append(f"{where}: 'enum' must be a non-empty list")
        else:
            problems += [f"{where}: enum value {v!r} is not of type {kind}"
                         for v in enum if not _is_type(v, kind)]
    if kind == "array":
        if "items" not in node:
            problems.append(f"{where}: an array needs 'items'")
        else:
            problems += _check_node(node["items"], f"{where}.items")
    if kind == "object":
        problems += _check_object(node, where)
    if "default" in node and not problems:
        problems += [f"{where}: default {node['default']!r} is invalid: {msg}"
                     for msg in _validate(node, node["default"], "default")]
    return problems


def _check_object(node: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    props = node.get("properties")
    if not isinstance(props, Mapping):
        return [f"{where}: an object needs 'properties' (a dict, possibly empty)"]
    if node.get("additionalProperties", True) is not False:
        problems.append(f"{where}: objects must set \"additionalProperties\": False")
    required = node.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        problems.append(f"{where}: 'required' must be a list of property names")
    else:
        problems += [f"{where}: required key {r!r} is not in properties"
                     for r in required if r not in props]
    for key, sub in props.items():
        if not isinstance(key, str) or not key:
            problems.append(f"{where}: property names must be non-empty strings")
            continue
        problems += _check_node(sub, f"{where}.{key}")
    return problems


def validate_args(schema: Mapping[str, Any], args: Any) -> list[str]:
    """Why ``args`` does not fit ``schema`` (empty when it does).

    Strict where a model tends to slip: unknown keys and missing required keys
    are errors; ``true`` is not an integer. Lenient where JSON is: an integer is
    a valid number. Messages name the key, so the model can correct itself.
    """
    return _validate(schema, args, "")


def _validate(node: Mapping[str, Any], value: Any, path: str) -> list[str]:
    kind = node.get("type")
    label = f"{path}: " if path else ""
    if not _is_type(value, kind):
        return [f"{label}expected {_article(kind)}, got {_json_type(value)}"]
    if "enum" in node and value not in node["enum"]:
        choices = ", ".join(repr(v) for v in node["enum"])
        return [f"{label}{value!r} is not one of {choices}"]
    if kind == "array":
        problems: list[str] = []
        for i, item in enumerate(value):
            problems += _validate(node["items"], item, f"{path}[{i}]")
        return problems
    if kind == "object":
        return _validate_object(node, value, path)
    return []


def _validate_object(node: Mapping[str, Any], value: Mapping[str, Any], path: str) -> list[str]:
    props: Mapping[str, Any] = node.get("properties", {})
    prefix = f"{path}." if path else ""
    problems = [f"missing required key {prefix + key!r}"
                for key in node.get("required", []) if key not in value]
    unknown = [k for k in value if k not in props]
    if unknown:
        known = ", ".join(props) or "none"
        problems += [f"unknown key {prefix + k!r} (allowed: {known})" for k in unknown]
    for key, sub in props.items():
        if key in value:
            problems += _validate(sub, value[key], f"{prefix}{key}")
    return problems


def _is_type(value: Any, kind: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, (list, tuple))
    if kind == "object":
        return isinstance(value, Mapping)
    return False


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind in ("boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, kind):
            return kind
    return type(value).__name__


def _article(kind: Any) -> str:
    return f"an {kind}" if str(kind)[:1] in "aeiou" else f"a {kind}"
