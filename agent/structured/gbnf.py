"""The grammar of ``--schema``: a JSON Schema compiled to GBNF, bounded everywhere.

Why lamp's own compiler and not llama-cpp-python's ``SchemaConverter``
(``json_schema_to_gbnf``, 0.3.36)? Measured by example in
tests/agent/structured/test_schema_grammar.py: its strings are ``char*`` over
``[^"\\\\]`` (raw newlines and control characters pass: invalid JSON; no length
bound), arrays without ``maxItems`` are unbounded and recursive ``$ref``s recurse
without end, it ignores ``minimum``/``maximum``, a ``$defs`` entry named
``space`` silently becomes the whitespace rule, a recursive ``$ref`` at the root raises
KeyError, ``allOf`` of a single ``$ref`` to an enum compiles to an empty
object, and ``pattern`` lets ``.`` write a bare ``"`` and fails on unanchored
patterns. So a 1.5B model could write invalid JSON or run until
``--max-tokens``. What it does well (date/time/uuid shapes, the object layout
with optional keys, regex as GBNF) is done here too, with the bounds kept:

- whitespace is one optional space (``ws``), as in agent/grammar.py;
- a string has at most ``maxLength`` characters, else ``STRING_CHARS``;
- an array at most ``maxItems``, capped at ``MAX_ITEMS``; a free-form object at
  most ``MAX_ITEMS`` keys; "any value" (``{}``) nests ``ANY_DEPTH`` levels;
- a ``$ref`` nests inside itself at most ``REF_DEPTH`` times: deeper, the
  branch is impossible, so ``Optional`` children become ``null`` and lists of
  children ``[]``.

Enforced: ``type`` (and lists of types), ``enum``, ``const``, ``properties``
(declared order), ``required``, ``additionalProperties`` (extra keys only in
free-form objects), ``items``, ``prefixItems``, ``minItems``/``maxItems``,
``minLength``/``maxLength``, ``pattern`` (pattern.py), ``format`` date, time,
date-time and uuid (formats.py), integer ``minimum``/``maximum`` and their
exclusive forms (ranges.py; for ``number`` the integer part), local ``$ref``,
``anyOf``/``oneOf`` as alternatives, ``allOf`` through one of its members. A
grammar may allow a little more than the schema (a number's fraction past its
bound, ``oneOf``'s exclusivity, ``uniqueItems``, ``multipleOf``...): validation
checks every answer against the whole schema.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from ..errors import UsageError
from ..grammar import MAX_ITEMS, literal
from .formats import GRAMMAR_FORMATS
from .keywords import resolve_ref
from .pattern import translate
from .ranges import integer_bounds, integer_range, number_range

__all__ = ["ANY_DEPTH", "REF_DEPTH", "STRING_CHARS", "SchemaGrammar"]

STRING_CHARS = 1000  # longest string without maxLength
_LONGEST = 8192  # a larger maxLength is cut to this in the grammar (validation is exact)
_KEY_CHARS = 128  # longest key of a free-form object
ANY_DEPTH = 3  # containers nested in "any value"
REF_DEPTH = 4  # times one $ref may be expanded on one path
_MOST_RULES = 5000

_BASE = {
    "ws": '" "?',
    "char": r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" hex hex hex hex)',
    "hex": "[0-9a-fA-F]",
    "integer": '"-"? ("0" | [1-9] [0-9]{0,17})',
    "number": 'integer ("." [0-9]{1,17})? ([eE] [-+]? [0-9]{1,3})?',
    "boolean": '"true" | "false"',
    "null": '"null"',
}
_STRUCTURE = {"type", "properties", "items", "prefixItems", "enum", "const", "anyOf", "oneOf",
              "$ref", "additionalProperties", "required", "pattern", "format", "minimum",
              "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
              "minItems", "maxItems"}

Path = tuple[str, ...]


class SchemaGrammar:
    """Compiles one schema (``$ref``s resolve against it) into named GBNF rules."""

    def __init__(self, schema: dict[str, Any] | bool) -> None:
        self.schema = schema
        self.rules: dict[str, str] = {}
        self._refs: dict[tuple[str, frozenset[tuple[str, int]]], str | None] = {}

    def document(self, hint: str = "doc") -> str:
        """The rule of a whole document; a UsageError when no document fits the bounds."""
        name = self.rule(self.schema, hint, ())
        if name is None:
            raise UsageError("--schema: no JSON document can satisfy this schema within "
                             f"lamp's bounds (a required $ref nested more than {REF_DEPTH} "
                             "times, minItems above maxItems, an empty range...)")
        return name

    def add(self, name: str, body: str) -> str:
        self.rules[name] = body
        return name

    def render(self, root: str) -> str:
        lines = [f"root ::= {root}"]
        lines += [f"{name} ::= {body}" for name, body in self.rules.items()]
        lines += [f"{name} ::= {body}" for name, body in _BASE.items()]
        return "\n".join(lines) + "\n"

    # -- one schema node -> a rule name (None: no document can match it)

    def rule(self, node: Any, hint: str, path: Path) -> str | None:
        if node is True or node == {} or not isinstance(node, (dict, bool)):
            return self._any(0)
        if node is False:
            return None
        if isinstance(node.get("$ref"), str):
            return self._ref(node["$ref"], path)
        if isinstance(node.get("allOf"), list) and node["allOf"]:
            # Every member allows a superset of what the whole allows: follow one.
            rest = {k: v for k, v in node.items() if k != "allOf"}
            own = set(rest) & _STRUCTURE - {"type"}
            return self.rule(rest if own else node["allOf"][0], hint, path)
        for key in ("anyOf", "oneOf"):
            if isinstance(node.get(key), list):
                rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
                shared = rest if set(rest) & _STRUCTURE else {}
                parts = [self.rule(_merged(shared, alt), f"{hint}-{i}", path)
                         for i, alt in enumerate(node[key])]
                return self._union(hint, [p for p in parts if p is not None])
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if "const" in node or "enum" in node:
            values = [node["const"]] if "const" in node else list(node["enum"])
            if kinds is not None:
                values = [v for v in values if _json_type(v) in kinds
                          or (_json_type(v) == "integer" and "number" in kinds)]
            options = [literal(json.dumps(v, ensure_ascii=False)) for v in values]
            return self._add(hint, " | ".join(options)) if options else None
        if kinds is None:
            kinds = _implied_types(node)
            if kinds is None:
                return self._any(0)
        parts = [self._typed(node, kind, f"{hint}-{kind}" if len(kinds) > 1 else hint, path)
                 for kind in kinds]
        return self._union(hint, [p for p in parts if p is not None])

    def _typed(self, node: dict[str, Any], kind: str, hint: str, path: Path) -> str | None:
        if kind in ("null", "boolean"):
            return kind
        if kind == "integer":
            low, high = integer_bounds(node)
            if low is None and high is None:
                return "integer"
            body = integer_range(low, high)
            return self._add(hint, body) if body is not None else None
        if kind == "number":
            if not any(k in node for k in ("minimum", "maximum", "exclusiveMinimum",
                                           "exclusiveMaximum")):
                return "number"
            body = number_range(node)
            return self._add(hint, body) if body is not None else None
        if kind == "string":
            return self._string(node, hint)
        if kind == "array":
            return self._array(node, hint, path)
        if kind == "object":
            return self._object(node, hint, path)
        return None

    def _string(self, node: dict[str, Any], hint: str) -> str | None:
        form = node.get("format")
        if form in GRAMMAR_FORMATS:
            return self._shared(f"format-{form}", f'"\\"" {GRAMMAR_FORMATS[form]} "\\""')
        if isinstance(node.get("pattern"), str):
            inside = translate(node["pattern"])
            if inside is not None:
                return self._add(hint, f'"\\"" {inside} "\\""')
        low = int(node.get("minLength", 0))
        high = node.get("maxLength")
        high = max(STRING_CHARS, low) if high is None else int(high)
        if low > high:
            return None
        return self.string(min(low, _LONGEST), min(high, _LONGEST))

    def string(self, low: int, high: int) -> str:
        """A JSON string of ``low`` to ``high`` characters."""
        count = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
        return self._shared(f"string-{low}-{high}", f'"\\"" char{count} "\\""')

    def _array(self, node: dict[str, Any], hint: str, path: Path) -> str | None:
        items = node.get("items")
        prefix = node.get("prefixItems")
        if isinstance(items, list):  # drafts before 2020-12: items is the tuple
            prefix, items = items, node.get("additionalItems", False)
        least = int(node.get("minItems", 0))
        most = None if node.get("maxItems") is None else int(node["maxItems"])
        limit = max(least, min(MAX_ITEMS if most is None else most, MAX_ITEMS))
        if most is not None and most < least:
            return None
        written: list[str] = []
        for i, member in enumerate(prefix or []):
            name = self.rule(member, f"{hint}-{i}", path)
            if name is None or len(written) == limit:
                break
            written.append(name)
        rest = None
        if items is not False and (not prefix or "items" in node or "additionalItems" in node):
            rest = self.rule(True if items is None else items, f"{hint}-item", path)
        if rest is None and len(written) < least:
            return None
        sep = ' ws "," ws '
        if written:
            body = sep.join(written)
            more = limit - len(written)
            if rest is not None and more > 0:
                body += f" ({sep}{rest} ){{{max(0, least - len(written))},{more}}}"
            return self._add(hint, f'"[" ws {body} ws "]"')
        if rest is None or limit == 0:
            return self._add(hint, '"[" ws "]"')
        if least > 0:
            body = f'{rest} ({sep}{rest} ){{{least - 1},{limit - 1}}}'
        else:
            body = f'( {rest} ({sep}{rest} ){{0,{limit - 1}}} )?'
        return self._add(hint, f'"[" ws {body} ws "]"')

    def _object(self, node: dict[str, Any], hint: str, path: Path) -> str | None:
        props: dict[str, Any] = dict(node.get("properties") or {})
        required = [k for k in node.get("required") or [] if isinstance(k, str)]
        extra = node.get("additionalProperties", True)
        if not props and not required:
            return self._free_object(node, extra, hint, path)
        for key in required:
            if key not in props:  # required without a declared schema: the extra one's
                props[key] = extra if not node.get("patternProperties") else True
        pairs = {}
        for key, sub in props.items():
            value = self.rule(sub, f"{hint}-{key}", path)
            if value is None:
                if key in required:
                    return None
                continue
            pairs[key] = f"{literal(json.dumps(key, ensure_ascii=False))} ws \":\" ws {value}"
        keys = list(pairs)
        must = [k for k in keys if k in required]
        may = [k for k in keys if k not in required]
        if must:
            # Declared order, optional keys where they are declared: those before the
            # first required key carry their comma after them, the rest before them.
            first = keys.index(must[0])
            body = "".join(f"( {pairs[k]} ws \",\" ws )? " for k in keys[:first])
            body += pairs[must[0]]
            body += "".join(f' ws "," ws {pairs[k]}' if k in required
                            else f' ( ws "," ws {pairs[k]} )?' for k in keys[first + 1:])
        elif may:
            # No required keys: any subset in order, without a leading comma.
            choices = []
            for i, key in enumerate(may):
                rest = "".join(f' ( ws "," ws {pairs[k]} )?' for k in may[i + 1:])
                choices.append(f"( {pairs[key]}{rest} )")
            body = "( " + " | ".join(choices) + " )?"
        else:
            return self._add(hint, '"{" ws "}"')
        return self._add(hint, f'"{{" ws {body} ws "}}"')

    def _free_object(self, node: dict[str, Any], extra: Any, hint: str, path: Path
                     ) -> str | None:
        """An object of any keys (``dict[str, X]``), at most ``MAX_ITEMS`` of them."""
        value = None
        if extra is not False:
            value = self.rule(True if node.get("patternProperties") else extra,
                              f"{hint}-value", path)
        least = int(node.get("minProperties", 0))
        limit = max(least, min(int(node.get("maxProperties", MAX_ITEMS)), MAX_ITEMS))
        if value is None or limit == 0:
            return self._add(hint, '"{" ws "}"') if least == 0 else None
        pair = f'{self.string(0, _KEY_CHARS)} ws ":" ws {value}'
        sep = ' ws "," ws '
        if least > 0:
            body = f"{pair} ({sep}{pair} ){{{least - 1},{limit - 1}}}"
        else:
            body = f"( {pair} ({sep}{pair} ){{0,{limit - 1}}} )?"
        return self._add(hint, f'"{{" ws {body} ws "}}"')

    def _ref(self, ref: str, path: Path) -> str | None:
        if path.count(ref) >= REF_DEPTH:
            return None
        key = (ref, frozenset(Counter(path).items()))
        if key not in self._refs:
            target = resolve_ref(self.schema if isinstance(self.schema, dict) else {}, ref)
            name = ref.rstrip("/").rsplit("/", 1)[-1] or "ref"
            self._refs[key] = self.rule(target, name, (*path, ref))
        return self._refs[key]

    def _any(self, depth: int) -> str:
        """Any JSON value, its containers nested at most ``ANY_DEPTH`` deep."""
        name = f"any-{depth}"
        if name in self.rules:
            return name
        scalar = f"{self.string(0, STRING_CHARS)} | number | boolean | null"
        if depth >= ANY_DEPTH:
            return self.add(name, scalar)
        self.rules[name] = ""  # reserve the name while the inner levels are built
        inner = self._any(depth + 1)
        pair = f'{self.string(0, _KEY_CHARS)} ws ":" ws {inner}'
        sep = ' ws "," ws '
        more = f"{{0,{MAX_ITEMS - 1}}}"
        return self.add(name, f'{scalar} | "{{" ws ( {pair} ({sep}{pair} ){more} )? ws "}}" | '
                              f'"[" ws ( {inner} ({sep}{inner} ){more} )? ws "]"')

    def _union(self, hint: str, parts: list[str]) -> str | None:
        if not parts:
            return None
        unique = list(dict.fromkeys(parts))
        return unique[0] if len(unique) == 1 else self._add(hint, " | ".join(unique))

    def _shared(self, name: str, body: str) -> str:
        self.rules.setdefault(name, body)
        return name

    def _add(self, hint: str, body: str) -> str:
        if len(self.rules) >= _MOST_RULES:
            raise UsageError(f"--schema is too large to compile into a grammar (over "
                             f"{_MOST_RULES} rules); nest fewer $refs")
        base = re.sub(r"[^a-zA-Z0-9-]+", "-", hint).strip("-").lower()[-48:].strip("-") or "r"
        if base in _BASE or base == "root" or base.startswith(("any-", "string-", "format-")):
            base = f"r-{base}"  # the names of shared rules stay theirs
        name, n = base, 1
        while name in self.rules:
            n += 1
            name = f"{base}-{n}"
        return self.add(name, body)


def _merged(shared: dict[str, Any], alternative: Any) -> Any:
    """An ``anyOf`` member with the keywords beside ``anyOf`` (``properties``, ``type``)
    it is meant with: ``{"type": "object", "properties": ..., "anyOf": [{"required":
    ["a"]}, ...]}``."""
    if not shared or not isinstance(alternative, dict):
        return alternative
    out = {**shared, **alternative}
    if "properties" in shared and "properties" in alternative:
        out["properties"] = {**shared["properties"], **alternative["properties"]}
    if "required" in shared and "required" in alternative:
        out["required"] = list(dict.fromkeys([*shared["required"], *alternative["required"]]))
    return out


def _implied_types(node: dict[str, Any]) -> list[str] | None:
    """The type a node without ``type`` plainly means (None: any value)."""
    if any(k in node for k in ("properties", "required", "additionalProperties",
                               "patternProperties")):
        return ["object"]
    if "items" in node or "prefixItems" in node:
        return ["array"]
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"

