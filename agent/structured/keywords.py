"""Which schemas ``--schema`` takes: everything that is either enforced or validated.

A keyword the grammar follows (agent/structured/gbnf.py) is enforced while
decoding; every other keyword of the schema's JSON Schema draft is checked by
``jsonschema`` afterwards, with one retry (output.py). So only what would be
silently ignored is refused, at start, before a model loads (exit 2):

- a ``$ref`` that is not local (``#/$defs/X``, ``#/definitions/X``, ``#anchor``):
  lamp fetches nothing, and an unresolvable local one;
- a keyword from another dialect that this draft ignores (``nullable`` from
  OpenAPI, ``dependencies`` or ``additionalItems`` under 2020-12, draft 3's
  ``divisibleBy``...), with what to write instead;
- a misspelt keyword (``maxLenght``, ``minimun``), which a validator would skip;
- a ``pattern`` Python's ``re`` cannot read, and a schema the draft's metaschema
  rejects.

Other unknown keywords (``discriminator``, ``x-...``) are annotations, as JSON
Schema has it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from ..errors import UsageError

__all__ = ["check_schema", "resolve_ref", "subschemas"]

_MESSAGE_CHARS = 200
_TYPES = ("string", "integer", "number", "boolean", "null", "array", "object")

ANNOTATIONS = frozenset({
    "title", "description", "default", "examples", "example", "$schema", "$id", "id",
    "$comment", "deprecated", "readOnly", "writeOnly", "$anchor", "$dynamicAnchor",
    "$vocabulary", "contentMediaType", "contentEncoding", "contentSchema", "$defs",
    "definitions", "discriminator"})
_IN_OTHER_KEYWORDS = frozenset({"then", "else", "minContains", "maxContains"})
_INSTEAD = {
    "nullable": "anyOf with {\"type\": \"null\"}, or a type list with \"null\"",
    "dependencies": "dependentRequired or dependentSchemas",
    "additionalItems": "items beside prefixItems",
    "divisibleBy": "multipleOf", "extends": "allOf", "disallow": "not",
    "$recursiveRef": "$dynamicRef",
}
_ONE = ("items", "additionalItems", "additionalProperties", "not", "if", "then", "else",
        "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties")
_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def check_schema(schema: dict[str, Any]) -> Any:
    """The validator class for ``schema``'s draft (2020-12 when it names none), once
    ``schema`` is known to be either enforced or validated; a one-line UsageError
    naming the first place it is not."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    kind = validator_for(schema, default=Draft202012Validator)
    checked = set(kind.VALIDATORS) | _IN_OTHER_KEYWORDS
    ignored = (_known_keywords() | {"nullable"}) - checked - ANNOTATIONS
    for node, where in _walk(schema, "$"):
        _check_node(schema, node, where, checked, ignored)
    try:
        kind.check_schema(schema)
    except SchemaError as exc:
        where = _where(list(exc.absolute_path))
        raise UsageError(f"--schema is not a valid JSON Schema at {where}: "
                         f"{' '.join(exc.message.split())[:_MESSAGE_CHARS]}") from exc
    return kind


def _check_node(root: dict[str, Any], node: dict[str, Any], where: str, checked: set[str],
                ignored: set[str]) -> None:
    kinds = node.get("type")
    for kind in [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []:
        if kind not in _TYPES:
            raise UsageError(f"--schema: unknown type {kind!r} at {where} (JSON Schema's "
                             f"types: {', '.join(_TYPES)})")
    for key in node:
        if key in checked or key in ANNOTATIONS or key.startswith("x-"):
            continue
        if key in ignored:
            raise UsageError(f"--schema: keyword {key!r} at {where} is not part of this JSON "
                             f"Schema draft, so nothing would check it; use "
                             f"{_INSTEAD.get(key, 'its equivalent in this draft')}")
        close = difflib.get_close_matches(key, sorted(checked), n=1, cutoff=0.8)
        if close:
            raise UsageError(f"--schema: unknown keyword {key!r} at {where} "
                             f"(did you mean {close[0]!r}?)")
    ref = node.get("$ref")
    if isinstance(ref, str):
        resolve_ref(root, ref, where)
    patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    if isinstance(node.get("patternProperties"), dict):
        patterns += [p for p in node["patternProperties"] if isinstance(p, str)]
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"--schema: pattern {pattern!r} at {where} is not a regular "
                             f"expression lamp can check: {exc}") from exc


def resolve_ref(root: dict[str, Any], ref: str, where: str = "$") -> Any:
    """The subschema a local ``$ref`` names; a UsageError for any other."""
    if not ref.startswith("#"):
        raise UsageError(f"--schema: $ref {ref!r} at {where} is not in this schema; lamp "
                         "fetches no schemas: copy it under \"$defs\" and refer to "
                         "\"#/$defs/NAME\"")
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        found = next((node for node, _ in _walk(root, "$")
                      if node.get("$anchor") == fragment), None)
        if found is None:
            raise UsageError(f"--schema: $ref {ref!r} at {where}: no \"$anchor\" "
                             f"{fragment!r} in the schema")
        return found
    target: Any = root
    for part in fragment.split("/")[1:] if fragment else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            raise UsageError(f"--schema: $ref {ref!r} at {where} names nothing in the schema")
    if not isinstance(target, (dict, bool)):
        raise UsageError(f"--schema: $ref {ref!r} at {where} does not name a schema")
    return target


def subschemas(node: dict[str, Any], where: str) -> Iterator[tuple[Any, str]]:
    """The schemas directly inside ``node``, each with where it is (``$.name`` for a
    property, ``$[]`` for items, ``$.anyOf[0]``...)."""
    for key in _ONE:
        value = node.get(key)
        if isinstance(value, (dict, bool)):
            yield value, f"{where}[]" if key == "items" else f"{where}.{key}"
        elif key == "items" and isinstance(value, list):  # drafts before 2020-12: a tuple
            yield from ((v, f"{where}[{i}]") for i, v in enumerate(value))
    for key in _MAPS:
        value = node.get(key)
        if isinstance(value, dict):
            prefix = where if key == "properties" else f"{where}.{key}"
            yield from ((v, f"{prefix}.{name}") for name, v in value.items())
    for key in _LISTS:
        value = node.get(key)
        if isinstance(value, list):
            yield from ((v, f"{where}.{key}[{i}]") for i, v in enumerate(value))
    dependencies = node.get("dependencies")
    if isinstance(dependencies, dict):
        yield from ((v, f"{where}.dependencies.{name}") for name, v in dependencies.items()
                    if isinstance(v, dict))


def _walk(node: Any, where: str) -> Iterator[tuple[dict[str, Any], str]]:
    if not isinstance(node, dict):
        return
    yield node, where
    for child, child_where in subschemas(node, where):
        yield from _walk(child, child_where)


def _where(path: list[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _known_keywords() -> set[str]:
    import jsonschema

    drafts = (jsonschema.Draft3Validator, jsonschema.Draft4Validator,
              jsonschema.Draft6Validator, jsonschema.Draft7Validator,
              jsonschema.Draft201909Validator, jsonschema.Draft202012Validator)
    return set().union(*(kind.VALIDATORS for kind in drafts))
