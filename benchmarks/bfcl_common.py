"""Shared pieces of the BFCL benchmark: schema conversion and the AST-match scorer.

BFCL writes some defaults as Python source ("false", "3", "None"); converted, a
default becomes the JSON value of its type, and one with no such value is left
out of the schema and said in the description instead (lamp refuses a tool whose
default does not fit its type).

The scoring follows the rules in the data folder's README (function name exact;
required parameters present, no unknown ones; each value among the allowed
ones, strings compared case-folded without spaces and ``,./-_*^``; an int is
accepted for a float; ``""`` among the allowed values means "may be omitted").
"""

from __future__ import annotations

import re
from typing import Any

_TYPE_MAP = {"dict": "object", "float": "number", "tuple": "array", "double": "number",
             "int": "integer", "bool": "boolean", "str": "string", "list": "array"}


def to_json_schema(schema: Any) -> Any:
    """BFCL's Python-flavoured schema types mapped onto JSON Schema."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            if value == "any":
                continue  # no constraint
            out[key] = _TYPE_MAP.get(value, value)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        else:
            out[key] = value
    if out.get("type") == "object" and "properties" in out:
        required = [r for r in out.get("required", []) if r in out["properties"]]
        out["required"] = required
    if "default" in out:
        value = _typed(out["default"], out.get("type"))
        if value is _NONE:
            written = out.pop("default")
            if written not in (None, "None", ""):
                out["description"] = f"{out.get('description', '')} (default {written})".strip()
        else:
            out["default"] = value
    return out


_NONE = object()  # no value of the type
_WORDS = {"true": True, "false": False}


def _typed(value: Any, kind: Any) -> Any:
    """``value`` as a JSON value of type ``kind``, or _NONE."""
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        return _WORDS.get(str(value).strip().lower(), _NONE)
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            return _NONE
        if isinstance(value, int) or (kind == "number" and isinstance(value, float)):
            return value
        try:
            number = float(str(value))
        except ValueError:
            return _NONE
        if kind == "number":
            return number
        return int(number) if number.is_integer() else _NONE
    if kind == "string":
        return value if isinstance(value, str) and value != "None" else _NONE
    if kind == "array":
        return value if isinstance(value, list) else _NONE
    if kind == "object":
        return value if isinstance(value, dict) else _NONE
    return _NONE


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return re.sub(r"[ ,./\-_*^]", "", value).lower()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


def score_call(call: tuple[str, dict[str, Any]] | None,
               ground_truth: list[dict[str, Any]] | None) -> tuple[bool, str]:
    """(passed, reason) for one model step against one BFCL item."""
    if not ground_truth:  # irrelevance: the right answer is no call
        return (call is None, "ok" if call is None else f"called {call[0]}")
    if call is None:
        return False, "no call"
    name, args = call
    expected = ground_truth[0]
    if name not in expected:
        return False, f"wrong function {name}"
    allowed = expected[name]
    for key in args:
        if key not in allowed:
            return False, f"unknown parameter {key}"
    for key, options in allowed.items():
        if key not in args:
            if "" in options:  # may be omitted
                continue
            return False, f"missing {key}"
        value = _norm(args[key])
        if not any(value == _norm(option) for option in options if option != ""):
            return False, f"{key}={args[key]!r} not in {options!r}"
    return True, "ok"
