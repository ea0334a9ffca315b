"""The grammar of each schema keyword accepts valid documents and rejects invalid ones
(gbnf_match.py reads GBNF as llama.cpp does; test_grammar_engine.py checks the same cases
in llama.cpp itself), it stays bounded, and why it is lamp's and not llama-cpp-python's
``json_schema_to_gbnf``: measured here, by example."""

from __future__ import annotations

import json

import pytest
from gbnf_match import Grammar
from schema_cases import CASES, LINKED, TREE, Case, nested

from lamp.agent.errors import UsageError
from lamp.agent.grammar import GrammarBuilder
from lamp.agent.structured.gbnf import STRING_CHARS, SchemaGrammar
from lamp.agent.structured.output import OutputSchema
from lamp.agent.structured.pattern import translate
from lamp.agent.structured.ranges import integer_range


def grammar_of(schema: dict) -> Grammar:
    return Grammar(OutputSchema.parse(json.dumps(schema)).grammar())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_keyword_accepts_valid_and_rejects_invalid_documents(case: Case) -> None:
    grammar = grammar_of(case.schema)
    assert [d for d in case.good if not grammar.accepts(d)] == []
    assert [d for d in case.bad if grammar.accepts(d)] == []


@pytest.mark.parametrize("low, high", [(0, None), (None, -1), (0, 120), (-5, 5), (18, 65),
                                       (-120, -7), (999, 1001), (7, 123456), (3, 3)])
def test_integer_ranges_are_exact(low: int | None, high: int | None) -> None:
    grammar = Grammar(f"root ::= {integer_range(low, high)}")
    lo = -10**6 if low is None else low
    hi = 10**6 if high is None else high
    for value in range(max(lo, -1500) - 2, min(hi, 1500) + 3):
        assert grammar.accepts(str(value)) == (lo <= value <= hi), value
    assert integer_range(5, 4) is None


def test_patterns_a_grammar_cannot_follow_are_left_to_validation() -> None:
    for pattern in (r"^(?=a)a$", r"(a)\1", r"\bword\b", r"(?i)abc", r"^a|b$", r"[[:alpha:]]"):
        assert translate(pattern) is None, pattern
    output = OutputSchema.parse('{"type": "string", "pattern": "(?i)^ab$", "maxLength": 5}')
    grammar = Grammar(output.grammar())
    assert grammar.accepts('"AB"') and grammar.accepts('"zz"') and not grammar.accepts('"abcdef"')
    assert output.validate('"aB"') == "aB"


def test_korean_word_characters_pass_a_w_pattern() -> None:
    grammar = grammar_of({"type": "string", "pattern": r"^\w+$"})
    assert grammar.accepts('"김민수"') and grammar.accepts('"Ada_1"')
    assert not grammar.accepts('"a b"') and not grammar.accepts('""')


def test_recursion_stops_at_the_depth_limit_without_cutting_valid_shallow_trees() -> None:
    grammar = grammar_of(TREE)
    assert grammar.accepts(nested(4)) and not grammar.accepts(nested(5))
    with pytest.raises(UsageError, match="no JSON document can satisfy"):
        OutputSchema.parse(json.dumps({"$defs": {"A": {"type": "object", "properties": {
            "a": {"$ref": "#/$defs/A"}}, "required": ["a"]}}, "$ref": "#/$defs/A"}))
    assert len(OutputSchema.parse(json.dumps(LINKED)).grammar()) < 5000


def test_unsatisfiable_bounds_are_refused_at_start() -> None:
    for schema in ({"type": "integer", "minimum": 5, "maximum": 4},
                   {"type": "string", "minLength": 3, "maxLength": 2},
                   {"type": "array", "minItems": 3, "maxItems": 2}):
        with pytest.raises(UsageError, match="no JSON document"):
            OutputSchema.parse(json.dumps(schema))


def test_every_document_the_grammar_allows_is_bounded() -> None:
    """No ``*`` or ``+`` over anything but the top-level list of --schema-multi: a
    1.5B model cannot loop inside a string, an array or blank space until --max-tokens."""
    schemas = [case.schema for case in CASES]
    for schema in schemas:
        text = OutputSchema.parse(json.dumps(schema)).grammar()
        body = text.split("\n", 1)[1]
        assert "*" not in body and "+" not in body.replace('"+"', "").replace("[-+]", "")\
            .replace("[+-]", ""), schema
    assert grammar_of({"type": "string"}).accepts('"' + "x" * STRING_CHARS + '"')


# -- llama-cpp-python's json_schema_to_gbnf, on the same examples -------------------

def converted(schema: dict) -> Grammar:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return Grammar(json_schema_to_gbnf(json.dumps(schema)))


def test_llama_cpp_python_converter_shortcomings_that_lamps_grammar_does_not_have() -> None:
    text = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    raw_newline = '{"a": "x\ny"}'  # not JSON: a string may not hold a raw newline
    assert converted(text).accepts(raw_newline) and not grammar_of(text).accepts(raw_newline)
    long = '{"a": "' + "x" * 5000 + '"}'
    assert converted(text).accepts(long) and not grammar_of(text).accepts(long)

    ints = {"type": "array", "items": {"type": "integer"}}
    many = "[" + ",".join(["1"] * 100) + "]"
    assert converted(ints).accepts(many) and not grammar_of(ints).accepts(many)

    age = {"type": "integer", "minimum": 0}
    assert converted(age).accepts("-1") and not grammar_of(age).accepts("-1")

    space = {"$defs": {"space": {"type": "object", "properties": {"x": {"type": "integer"}},
                                 "required": ["x"]}},
             "type": "object", "properties": {"v": {"$ref": "#/$defs/space"}}, "required": ["v"]}
    assert not converted(space).accepts('{"v": {"x": 1}}')  # the def became whitespace
    assert converted(space).accepts('{"v": }')
    assert grammar_of(space).accepts('{"v": {"x": 1}}')

    color = CASES[[c.id for c in CASES].index("allof-one-ref")].schema
    assert converted(color).accepts('{"c": {}}') and not converted(color).accepts('{"c": "red"}')
    assert grammar_of(color).accepts('{"c": "red"}')

    dot = {"type": "string", "pattern": "^a.c$"}
    assert converted(dot).accepts('"a"c"') and not grammar_of(dot).accepts('"a"c"')
    with pytest.raises(AssertionError):
        converted({"type": "string", "pattern": "ab"})  # JSON Schema patterns are searches

    deep = '{"root": ' + nested(30) + "}"
    tree = {"$defs": TREE["$defs"], "type": "object",
            "properties": {"root": {"$ref": "#/$defs/Node"}}, "required": ["root"]}
    assert converted(tree).accepts(deep) and not grammar_of(tree).accepts(deep)
    with pytest.raises(KeyError):
        converted(TREE)


def test_what_both_do_alike() -> None:
    """Where the converter is right, lamp's grammar agrees (dates, uuids, optional keys)."""
    for schema, good, bad in [
        ({"type": "string", "format": "date"}, '"2024-02-29"', '"2024-13-01"'),
        ({"type": "string", "format": "uuid"}, '"123e4567-e89b-12d3-a456-426614174000"',
         '"123e4567"'),
        ({"type": "object", "properties": {"a": {"type": "integer"}}}, '{"a": 1}', '{"b": 1}'),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, "null", "1"),
    ]:
        for grammar in (converted(schema), grammar_of(schema)):
            assert grammar.accepts(good) and not grammar.accepts(bad)


def test_tool_grammars_stay_on_agent_grammar() -> None:
    """Tools' argument grammar (agent/grammar.py) is untouched by --schema's compiler."""
    builder = GrammarBuilder()
    rule = builder.schema_rule({"type": "object", "properties": {"x": {"type": "string"}},
                                "required": ["x"]}, "args")
    assert Grammar(builder.render(rule)).accepts('{"x": "anything"}')
    assert SchemaGrammar({"type": "string"}).document() == "string-0-1000"
