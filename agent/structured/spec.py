"""What ``--schema`` accepts: inline JSON Schema, a ``.json`` file, or a one-line short form.

The short form exists because typing JSON Schema at a shell is slow and error
prone: ``'name, age int, tags list[str], score float: 0-1 confidence'`` is an
object with those four keys, all required and no others. Fields are separated
by commas, or by newlines when there is a newline (so a description may hold a
comma), as in simonw/llm's concise schemas.

Only what a grammar can enforce is accepted (see ``check_supported``): a schema
whose keywords would be checked only after decoding could fail on every run,
so it is refused at start, naming the keyword, before any model is loaded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import UsageError

__all__ = ["SHORT_TYPES", "check_supported", "parse_short_form", "read_schema"]

SHORT_TYPES: dict[str, dict[str, str]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
}
_ALIASES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_FIELD = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)(?:\s+(?P<type>\S+))?$")
_LIST = re.compile(r"^list(?:\[(?P<item>\w+)\])?$")

# Keywords the grammar builder (agent/grammar.py) enforces, and notes that constrain nothing.
_ENFORCED = {"type", "enum", "const", "properties", "required", "items", "additionalProperties",
             "maxItems"}
_NOTES = {"description", "title", "default", "examples", "$schema", "$id", "$comment",
          "deprecated", "readOnly", "writeOnly"}
_TYPES = {"string", "integer", "number", "boolean", "null", "array", "object"}


def read_schema(spec: str, cwd: Path | None = None) -> dict[str, Any]:
    """The JSON Schema ``spec`` names; a UsageError (exit 2) when it cannot be read. A
    relative file name starts at ``cwd``, the caller's (None: this process's)."""
    text = spec.strip()
    if not text:
        raise UsageError("--schema is empty")
    if text.startswith("{"):
        return _loads(text, "--schema")
    if text.lower().endswith(".json"):
        path = Path(text).expanduser()
        try:
            found = cwd / path if cwd is not None else path
            return _loads(found.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise UsageError(f"schema file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read schema file {path}: {exc}") from exc
    return parse_short_form(text)


def _loads(text: str, where: str) -> dict[str, Any]:
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{where} is not valid JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise UsageError(f"{where} must be a JSON object (a JSON Schema), "
                         f"not {type(schema).__name__}")
    return schema


def parse_short_form(text: str) -> dict[str, Any]:
    """``'name, age int, tags list[str]: labels'`` -> a closed object schema, all keys required."""
    separator = "\n" if "\n" in text else ","
    properties: dict[str, Any] = {}
    for raw in text.split(separator):
        if not raw.strip():
            continue
        head, _, description = raw.partition(":")
        match = _FIELD.match(head.strip())
        if match is None:
            raise UsageError(f"--schema: cannot read field {raw.strip()!r}; write 'name TYPE' "
                             "or 'name TYPE: description' (TYPE: str, int, float, bool, list[T])")
        name = match["name"]
        if name in properties:
            raise UsageError(f"--schema: field {name!r} is given twice")
        prop = _short_type(match["type"] or "str", name)
        if description.strip():
            prop["description"] = description.strip()
        properties[name] = prop
    if not properties:
        raise UsageError("--schema has no fields")
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}


def _short_type(word: str, name: str) -> dict[str, Any]:
    word = _ALIASES.get(word, word)
    if word in SHORT_TYPES:
        return dict(SHORT_TYPES[word])
    listed = _LIST.match(word)
    if listed is not None:
        item = _ALIASES.get(listed["item"] or "str", listed["item"] or "str")
        if item in SHORT_TYPES:
            return {"type": "array", "items": dict(SHORT_TYPES[item])}
    raise UsageError(f"--schema: unknown type {word!r} for field {name!r} "
                     "(use str, int, float, bool or list[T])")


def check_supported(schema: dict[str, Any], where: str = "$") -> dict[str, Any]:
    """The schema with implied types made explicit; a UsageError naming the first keyword
    the grammar cannot enforce (``pattern``, ``minimum``, ``$ref``, ``oneOf``...)."""
    out = dict(schema)
    for key in schema:
        if key not in _ENFORCED | _NOTES:
            raise UsageError(f"--schema: keyword {key!r} at {where} cannot be enforced while "
                             "decoding; remove it (supported: "
                             f"{', '.join(sorted(_ENFORCED))})")
    kinds = schema.get("type")
    if kinds is None:  # 'properties' or 'items' without a type: what the user meant
        kinds = "object" if "properties" in schema else "array" if "items" in schema else None
        if kinds is not None:
            out["type"] = kinds
    for kind in kinds if isinstance(kinds, list) else [kinds] if kinds else []:
        if kind not in _TYPES:
            raise UsageError(f"--schema: unknown type {kind!r} at {where}")
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise UsageError(f"--schema: 'enum' at {where} must be a non-empty list")
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        raise UsageError(f"--schema: 'properties' at {where} must be an object")
    out["properties"] = {k: check_supported(_node(v, f"{where}.{k}"), f"{where}.{k}")
                         for k, v in props.items()}
    if not out["properties"] and "properties" not in schema:
        del out["properties"]
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(k, str) for k in required):
        raise UsageError(f"--schema: 'required' at {where} must be a list of names")
    missing = [k for k in required if k not in props]
    if missing:
        raise UsageError(f"--schema: required {missing[0]!r} at {where} is not in 'properties'")
    if "items" in schema:
        out["items"] = check_supported(_node(schema["items"], f"{where}[]"), f"{where}[]")
    return out


def _node(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"--schema: the schema at {where} must be an object, "
                         f"not {type(value).__name__}")
    return value
