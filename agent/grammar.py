"""GBNF grammars from JSON Schemas, for llama.cpp's constrained decoding.

Only the schema subset tools and ``--schema`` declare is supported (string,
integer, number, boolean, null, array, object, enum, const, and "anything" when
no type is given). Objects keep their declared property order; required
properties always appear, optional ones may be left out. Whitespace inside
JSON is limited to a single optional space, so a small model cannot wander off
into endless blanks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GrammarBuilder", "literal"]

PRIMITIVES = r'''
ws ::= " "?
string ::= "\"" char* "\""
char ::= [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" hex hex hex hex)
hex ::= [0-9a-fA-F]
integer ::= "-"? ("0" | [1-9] [0-9]{0,17})
number ::= integer ("." [0-9]{1,17})? ([eE] [-+]? [0-9]{1,3})?
boolean ::= "true" | "false"
null ::= "null"
value ::= object-any | array-any | string | number | boolean | null
object-any ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array-any ::= "[" ws ( value ( ws "," ws value ){0,31} )? ws "]"
'''.strip()


MAX_ITEMS = 32  # most items an array in a tool call may have


def literal(text: str) -> str:
    """A GBNF string literal matching ``text`` exactly."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


@dataclass
class GrammarBuilder:
    """Collects named rules; ``schema_rule`` returns the rule name matching a schema."""

    rules: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, body: str) -> str:
        self.rules[name] = body
        return name

    def _name(self, hint: str) -> str:
        base = re.sub(r"[^a-zA-Z0-9-]+", "-", hint).strip("-").lower() or "r"
        name, n = base, 1
        while name in self.rules:
            n += 1
            name = f"{base}-{n}"
        return name

    def schema_rule(self, schema: dict[str, Any], hint: str) -> str:
        if "const" in schema:
            schema = {**schema, "enum": [schema["const"]]}
        if "enum" in schema:
            options = " | ".join(literal(json.dumps(v, ensure_ascii=False))
                                 for v in schema["enum"])
            return self.add(self._name(hint), options)
        kind = schema.get("type")
        if isinstance(kind, list):  # e.g. ["string", "null"]
            parts = [self.schema_rule({**schema, "type": k}, f"{hint}-{k}") for k in kind]
            return self.add(self._name(hint), " | ".join(parts))
        if kind in ("string", "integer", "number", "boolean", "null"):
            return kind
        if kind == "array":
            items = schema.get("items")
            item = self.schema_rule(items, f"{hint}-item") if isinstance(items, dict) else "value"
            # Bounded, so a model stuck listing items cannot run until max_tokens.
            limit = max(1, min(int(schema.get("maxItems", MAX_ITEMS)), MAX_ITEMS))
            return self.add(self._name(hint),
                            f'"[" ws ( {item} ( ws "," ws {item} ){{0,{limit - 1}}} )? ws "]"')
        if kind == "object" and "properties" in schema:
            return self._object(schema, hint)
        if kind == "object":
            return "object-any"
        return "value"

    def _object(self, schema: dict[str, Any], hint: str) -> str:
        props: dict[str, Any] = schema.get("properties", {})
        required = [k for k in props if k in set(schema.get("required", []))]
        optional = [k for k in props if k not in set(required)]
        pair = {k: f'{literal(json.dumps(k))} ws ":" ws '
                   f'{self.schema_rule(v if isinstance(v, dict) else {}, f"{hint}-{k}")}'
                for k, v in props.items()}
        if required:
            body = ' ws "," ws '.join(pair[k] for k in required)
            body += "".join(f' ( ws "," ws {pair[k]} )?' for k in optional)
        elif optional:
            # No required keys: any subset in order, without a leading comma.
            alternatives = []
            for i, k in enumerate(optional):
                rest = "".join(f' ( ws "," ws {pair[j]} )?' for j in optional[i + 1:])
                alternatives.append(f"{pair[k]}{rest}")
            body = "( " + " | ".join(f"( {a} )" for a in alternatives) + " )?"
        else:
            body = ""
        return self.add(self._name(hint), f'"{{" ws {body} ws "}}"'.replace("  ", " "))

    def render(self, root: str) -> str:
        lines = [f"root ::= {root}"]
        lines += [f"{name} ::= {body}" for name, body in self.rules.items()]
        return "\n".join(lines) + "\n" + PRIMITIVES + "\n"
