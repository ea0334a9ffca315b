"""`--schema`: reading the short form and files, the grammar, and validation of the answer
(which keywords are accepted: test_schema_keywords.py; each keyword's grammar:
test_schema_grammar.py; the retry: test_schema_retry.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gbnf_match import Grammar

from lamp.agent.errors import InvalidOutput, UsageError
from lamp.agent.models import Capabilities, Sampling
from lamp.agent.structured.output import OutputSchema
from lamp.agent.structured.spec import parse_short_form, read_schema

PERSON = {"type": "object", "properties": {"name": {"type": "string"},
                                           "age": {"type": "integer"}},
          "required": ["name", "age"], "additionalProperties": False}


def test_short_form_types_lists_and_descriptions() -> None:
    schema = parse_short_form("name, age int, tags list[str], score float: 0-1 confidence, "
                              "ok bool, ids list[int], notes list")
    assert schema["properties"] == {
        "name": {"type": "string"}, "age": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "score": {"type": "number", "description": "0-1 confidence"},
        "ok": {"type": "boolean"}, "ids": {"type": "array", "items": {"type": "integer"}},
        "notes": {"type": "array", "items": {"type": "string"}}}
    assert schema["required"] == list(schema["properties"])
    assert schema["additionalProperties"] is False


def test_short_form_on_lines_lets_descriptions_hold_commas() -> None:
    schema = parse_short_form("city: where, exactly\npopulation int: people, roughly\n")
    assert schema["properties"]["city"]["description"] == "where, exactly"
    assert list(schema["properties"]) == ["city", "population"]


@pytest.mark.parametrize("spec, fragment", [
    ("name, age integerish", "unknown type 'integerish' for field 'age'"),
    ("name, list[dict] x", "cannot read field"),
    ("birth year int", "cannot read field 'birth year int'"),
    ("name, name", "field 'name' is given twice"),
    (" , ", "has no fields"),
    ("tags list[date]", "unknown type 'list[date]'"),
])
def test_short_form_errors_are_usage_errors(spec: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment.replace("[", r"\[")):
        parse_short_form(spec)


def test_inline_json_and_a_json_file(tmp_path: Path) -> None:
    assert read_schema(json.dumps(PERSON)) == PERSON
    path = tmp_path / "person.json"
    path.write_text(json.dumps(PERSON))
    assert read_schema(str(path)) == PERSON
    with pytest.raises(UsageError, match="schema file not found"):
        read_schema(str(tmp_path / "missing.json"))
    with pytest.raises(UsageError, match="is not valid JSON"):
        read_schema('{"type": "object",}')
    path.write_text("[1, 2]")
    with pytest.raises(UsageError, match="must be a JSON object"):
        read_schema(str(path))


def test_implied_object_type_is_followed() -> None:
    output = OutputSchema.parse('{"properties": {"a": {"type": "string"}}, "required": ["a"]}')
    assert '"\\"a\\""' in output.grammar()
    assert output.validate('{"a": "x"}') == {"a": "x"}


def test_grammars_are_well_formed_gbnf() -> None:
    """Every rule used is defined, once (llama.cpp's own parse: test_grammar_engine.py)."""
    spec = ('{"type": "object", "properties": {"kind": {"const": "person"}, '
            '"name": {"type": ["string", "null"]}, "tags": {"type": "array", "items": '
            '{"enum": ["a", "b"]}, "maxItems": 3}}, "required": ["kind", "name"]}')
    for output in (OutputSchema.parse(spec), OutputSchema.parse("name, age int", multi=True),
                   OutputSchema.parse('{"type": "string"}')):
        Grammar(output.grammar())
    assert Grammar(OutputSchema.parse(spec).grammar()).accepts(
        '{"kind": "person", "name": null, "tags": ["a", "b"]}')


def test_multi_is_an_unbounded_array_of_items() -> None:
    output = OutputSchema.parse("name, age int", multi=True)
    assert output.document == {"type": "array", "items": output.item}
    assert 'root ::= root-list' in output.grammar()
    assert output.validate('[{"name": "A", "age": 1}, {"name": "B", "age": 2}]') == [
        {"name": "A", "age": 1}, {"name": "B", "age": 2}]
    assert output.validate("[]") == []


def test_multi_with_defs_keeps_its_refs_working() -> None:
    item = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"Age": {"type": "integer", "minimum": 0}}, "type": "object",
            "properties": {"age": {"$ref": "#/$defs/Age"}}, "required": ["age"]}
    output = OutputSchema.parse(json.dumps(item), multi=True)
    assert output.document["items"]["properties"]["age"]["$ref"] == "#/items/$defs/Age"
    assert output.document["$schema"] == item["$schema"]
    assert "$schema" not in output.document["items"] and "$schema" in output.item
    assert output.validate('[{"age": 3}]') == [{"age": 3}]
    with pytest.raises(InvalidOutput, match=r"at \$\[1\]\.age: -1 is less than the minimum"):
        output.validate('[{"age": 3}, {"age": -1}]')
    assert Grammar(output.grammar()).accepts('[{"age": 3}]')


def test_formats_are_checked_on_every_machine() -> None:
    """jsonschema checks date-time only with an optional package; lamp checks it always."""
    output = OutputSchema.parse(json.dumps({"type": "object", "properties": {
        "day": {"type": "string", "format": "date"},
        "at": {"type": "string", "format": "date-time"},
        "id": {"type": "string", "format": "uuid"},
        "mail": {"type": "string", "format": "email"},
        "wait": {"type": "string", "format": "duration"},
        "site": {"type": "string", "format": "uri"},
        "color": {"type": "string", "format": "no-such-format"}}}))
    good = {"day": "2024-02-29", "at": "2024-01-01T12:00:00+09:00",
            "id": "123e4567-e89b-12d3-a456-426614174000", "mail": "ada@example.org",
            "wait": "PT1H30M", "site": "https://example.org/a?b=c", "color": "anything"}
    assert output.validate(json.dumps(good)) == good
    for key, value in [("day", "2023-02-29"), ("at", "2024-01-01T12:00:00"),
                       ("at", "2024-01-01"), ("id", "123e4567"), ("mail", "ada"),
                       ("wait", "1 hour"), ("site", "not a uri")]:
        with pytest.raises(InvalidOutput, match=rf"at \$\.{key}: .* is not a '"):
            output.validate(json.dumps({**good, key: value}))


def test_validation_failures_are_one_line_invalid_output() -> None:
    output = OutputSchema.parse("name, age int")
    assert output.validate('{"name": "Ada", "age": 36}') == {"name": "Ada", "age": 36}
    with pytest.raises(InvalidOutput, match=r"at \$\.age: 'x' is not of type 'integer'"):
        output.validate('{"name": "Ada", "age": "x"}')
    with pytest.raises(InvalidOutput, match="'age' is a required property"):
        output.validate('{"name": "Ada"}')
    with pytest.raises(InvalidOutput, match="cut at --max-tokens 8 before its JSON"):
        output.validate('{"name": "Ad', finish_reason="length", max_tokens=8)
    with pytest.raises(InvalidOutput, match="not valid JSON"):
        output.validate("Ada is 36")


def test_constraint_prefers_the_servers_json_schema_then_a_grammar() -> None:
    output = OutputSchema.parse("name", multi=True)
    assert output.constraint(Capabilities(grammar=True, json_schema=True)) == {
        "json_schema": output.document}
    assert set(output.constraint(Capabilities(grammar=True))) == {"grammar"}
    with pytest.raises(UsageError, match="cannot constrain its output to a schema"):
        output.constraint(Capabilities())


def test_greedy_unless_a_temperature_was_chosen() -> None:
    output = OutputSchema.parse("name")
    assert output.sampling(Sampling(temperature=0.7), temperature_chosen=False).temperature == 0
    assert output.sampling(Sampling(temperature=0.7), temperature_chosen=True).temperature == 0.7
