"""What ``--schema`` accepts: inline JSON Schema, a ``.json`` file, or a one-line short form.

The short form exists because typing JSON Schema at a shell is slow and error
prone: ``'name, age int, tags list[str], score float: 0-1 confidence'`` is an
object with those four keys, all required and no others. Fields are separated
by commas, or by newlines when there is a newline (so a description may hold a
comma), as in simonw/llm's concise schemas.

Which schemas are accepted is keywords.py's question; this module only reads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import UsageError

__all__ = ["SHORT_TYPES", "parse_short_form", "read_schema"]

SHORT_TYPES: dict[str, dict[str, str]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
}
_ALIASES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_FIELD = re.compile(r"^(?P<name>[A-Za-z_][\w-]*)(?:\s+(?P<type>\S+))?$")
_LIST = re.compile(r"^list(?:\[(?P<item>\w+)\])?$")


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
