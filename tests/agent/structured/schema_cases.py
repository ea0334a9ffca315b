"""Schemas with documents their grammar must accept and documents it must reject, one
case per keyword (imported by the grammar tests, not collected)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CASES", "Case", "nested"]


@dataclass(frozen=True)
class Case:
    id: str
    schema: dict[str, Any]
    good: tuple[str, ...]
    bad: tuple[str, ...]


def nested(depth: int) -> str:
    """A tree of ``depth`` nodes, each the only child of the one above."""
    node = '{"name": "n", "children": []}'
    for _ in range(depth - 1):
        node = '{"name": "n", "children": [' + node + "]}"
    return node


def chain(depth: int) -> str:
    node = '{"v": 1, "next": null}'
    for _ in range(depth - 1):
        node = '{"v": 1, "next": ' + node + "}"
    return node


INT = {"type": "integer"}
TREE = {"$defs": {"Node": {"type": "object", "properties": {
    "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
    "required": ["name", "children"]}}, "$ref": "#/$defs/Node"}
LINKED = {"$defs": {"L": {"type": "object", "properties": {
    "v": INT, "next": {"anyOf": [{"$ref": "#/$defs/L"}, {"type": "null"}]}},
    "required": ["v", "next"]}}, "$ref": "#/$defs/L"}
PERSON = {
    "$defs": {"Address": {"type": "object", "title": "Address", "properties": {
        "city": {"type": "string"}, "zip": {"type": "string", "pattern": r"^\d{5}$"}},
        "required": ["city", "zip"]}},
    "type": "object", "title": "Person",
    "properties": {"name": {"type": "string", "minLength": 1},
                   "address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}],
                               "default": None}},
    "required": ["name"]}

CASES = [
    Case("string-lengths", {"type": "string", "minLength": 2, "maxLength": 4},
         ('"ab"', '"abcd"', '"김민수"', '"a\\nb"'), ('"a"', '"abcde"', "ab")),
    Case("string-bounded-and-json", {"type": "string"},
         ('"x"', '""', '"' + "x" * 1000 + '"', '"tab\\tand \\"quote\\""', '"\\u00e9"'),
         ('"' + "x" * 1001 + '"', '"a\nb"', '"a\tb"', '"a\\qb"', '"open')),
    Case("integer-minimum", {"type": "integer", "minimum": 0},
         ("0", "7", "42", "123456789012345678"), ("-1", "01", "1.5", "-0")),
    Case("integer-exclusive", {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
         ("1", "9"), ("0", "10", "-3")),
    Case("integer-range", {"type": "integer", "minimum": -20, "maximum": 150},
         ("-20", "-7", "0", "99", "150"), ("-21", "151", "1000")),
    Case("number-bounds", {"type": "number", "minimum": 0, "maximum": 1},
         ("0", "0.5", "1", "0.125"), ("-0.5", "2", "1e5", "10")),
    Case("number-plain", {"type": "number"}, ("-1.5e3", "0", "3.25"), ("1.", ".5", "+1")),
    Case("enum", {"enum": ["red", "green"]}, ('"red"', '"green"'), ('"blue"', "red")),
    Case("const", {"const": 3}, ("3",), ("4",)),
    Case("enum-typed", {"type": "string", "enum": ["a", 1]}, ('"a"',), ("1",)),
    Case("pattern", {"type": "string", "pattern": r"^[A-Z]{2}-\d{3}$"},
         ('"AB-123"',), ('"ab-123"', '"AB-1234"', '"AB123"')),
    Case("pattern-unanchored", {"type": "string", "pattern": "ab"},
         ('"ab"', '"xaby"'), ('"a b"',)),
    Case("pattern-dot-escapes", {"type": "string", "pattern": "^a.c$"},
         ('"abc"', '"a\\"c"'), ('"a"c"', '"a\nc"', '"a\\nc"')),
    Case("format-date", {"type": "string", "format": "date"},
         ('"2024-02-29"', '"1815-12-10"'), ('"2024-13-01"', '"24-01-01"', '"2024-1-1"')),
    Case("format-date-time", {"type": "string", "format": "date-time"},
         ('"2024-01-01T12:00:00Z"', '"2024-01-01T23:59:59.5+09:00"'),
         ('"2024-01-01 12:00:00"', '"2024-01-01T12:00:00"', '"2024-01-01T24:00:00Z"')),
    Case("format-time", {"type": "string", "format": "time"},
         ('"23:59:59Z"', '"08:30:00-05:00"'), ('"8:30"', '"25:00:00Z"')),
    Case("format-uuid", {"type": "string", "format": "uuid"},
         ('"123e4567-e89b-12d3-a456-426614174000"',), ('"123e4567"', '"not-a-uuid"')),
    Case("format-email-only-validated", {"type": "string", "format": "email"},
         ('"ada@example.org"', '"not an email"'), ("1",)),
    Case("optional-anyof-null", {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "null"}]},
         ("null", '"abc"'), ("1", '"abcd"')),
    Case("oneof", {"oneOf": [INT, {"type": "boolean"}]}, ("1", "true"), ('"x"', "null")),
    Case("type-list", {"type": ["string", "null"], "maxLength": 2}, ('"ab"', "null"),
         ('"abc"', "0")),
    Case("allof-one-ref", {"$defs": {"Color": {"type": "string", "enum": ["red", "green"]}},
                           "type": "object", "required": ["c"], "properties": {
                               "c": {"allOf": [{"$ref": "#/$defs/Color"}], "default": "red"}}},
         ('{"c": "red"}',), ('{"c": {}}', '{"c": "blue"}')),
    Case("defs-and-refs", PERSON,
         ('{"name": "Ada"}', '{"name": "Ada", "address": null}',
          '{"name": "Ada", "address": {"city": "London", "zip": "12345"}}'),
         ('{"name": ""}', '{"name": "Ada", "address": {"city": "London", "zip": "1234"}}',
          '{"address": null}')),
    Case("defs-named-like-rules", {"$defs": {"space": INT, "integer": {"type": "string"},
                                             "char": {"const": "c"}, "any-1": {"const": 2},
                                             "root": {"type": "boolean"}},
                                   "type": "array", "prefixItems": [
                                       {"$ref": "#/$defs/space"}, {"$ref": "#/$defs/integer"},
                                       {"$ref": "#/$defs/char"}, {"$ref": "#/$defs/any-1"},
                                       {"$ref": "#/$defs/root"}], "items": False},
         ('[1, "x", "c", 2, true]',), ('[ , "x", "c", 2, true]', '[1, 2, "c", 2, true]',
                                       '[1, "x", "c", 2, [1, "x", "c", 2, true]]')),
    Case("recursion-bounded", TREE, (nested(1), nested(4)), (nested(5), nested(30))),
    Case("optional-recursion-bounded", LINKED, (chain(1), chain(4)), (chain(5),)),
    Case("items-min-max", {"type": "array", "items": INT, "minItems": 1, "maxItems": 3},
         ("[1]", "[1, 2, 3]", "[1,2]"), ("[]", "[1, 2, 3, 4]")),
    Case("items-capped", {"type": "array", "items": INT},
         ("[]", "[" + ", ".join(["1"] * 32) + "]"), ("[" + ", ".join(["1"] * 33) + "]",)),
    Case("tuple", {"type": "array", "prefixItems": [{"type": "string"}, INT],
                   "minItems": 2, "maxItems": 2},
         ('["a", 1]',), ('[1, "a"]', '["a", 1, 2]', '["a"]')),
    Case("dict-values", {"type": "object", "additionalProperties": INT},
         ("{}", '{"a": 1, "b": 2}'), ('{"a": "x"}', '{"a": 1,}')),
    Case("closed-object", {"type": "object", "properties": {"a": INT},
                           "additionalProperties": False},
         ("{}", '{"a": 1}'), ('{"b": 1}', '{"a": 1, "b": 2}')),
    Case("declared-order", {"type": "object", "properties": {"a": INT, "b": INT, "c": INT},
                            "required": ["b"]},
         ('{"b": 1}', '{"a": 1, "b": 2}', '{"a": 1, "b": 2, "c": 3}', '{"b": 2, "c": 3}',
          '{"a":1,"b":2}'),
         ('{"a": 1}', '{"b": 1, "a": 2}', '{, "b": 1}', '{"a": 1 "b": 2}')),
    Case("no-required", {"properties": {"a": INT, "b": INT}},
         ("{}", '{"b": 1}', '{"a": 1, "b": 2}'), ('{"b": 1, "a": 2}', '{,}')),
    Case("whitespace-bounded", {"type": "object", "properties": {"b": INT}, "required": ["b"]},
         ('{"b": 1}', '{ "b" : 1 }'), ('{  "b": 1}', '{\n"b": 1}', '{"b": 1}  ')),
    Case("any-value-bounded", {}, ('{"a": [1, {"b": null}]}', '"x"', "[[[1]]]"),
         ("[[[[[1]]]]]",)),
    Case("korean-text", {"type": "object", "properties": {"이름": {"type": "string"}},
                         "required": ["이름"]},
         ('{"이름": "김민수"}',), ('{"name": "김민수"}',)),
]

