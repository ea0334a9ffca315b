"""What `--schema` takes: pydantic's schemas and every keyword that is either enforced or
validated; refused at start (a UsageError, exit 2, one line) only what nothing would check."""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from typing import Literal
from uuid import UUID

import pytest
from gbnf_match import Grammar
from pydantic import BaseModel, Field

from lamp.agent.errors import UsageError
from lamp.agent.structured.output import OutputSchema
from lamp.cli.errors import exit_code_for


class Color(str, Enum):
    red = "red"
    green = "green"


class Address(BaseModel):
    city: str
    zip_code: str = Field(pattern=r"^\d{5}$")


class Pet(BaseModel):
    kind: Literal["cat", "dog"]
    name: str = Field(min_length=1, max_length=20)


class Person(BaseModel):
    """Every shape pydantic writes: $defs/$ref, Optional (anyOf null), defaults, bounds,
    formats, enums, a nested model, a list of models, a dict, a tuple, a recursive ref."""

    name: str
    age: int = Field(ge=0, le=150)
    score: float = Field(default=0.5, ge=0, lt=1)
    email: str | None = None
    tags: list[str] = Field(default_factory=list, max_length=5)
    birthday: date | None = None
    id: UUID | None = None
    color: Color = Color.red
    address: Address | None = None
    pets: list[Pet] = []
    counts: dict[str, int] = {}
    pair: tuple[int, str] | None = None
    friends: list[Person] = []


def test_a_pydantic_model_schema_is_taken_whole() -> None:
    schema = Person.model_json_schema()
    output = OutputSchema.parse(json.dumps(schema))
    document = Person(name="Ada", age=36, email=None, tags=["math"], birthday=date(1815, 12, 10),
                      address=Address(city="London", zip_code="12345"),
                      pets=[Pet(kind="cat", name="Tom")], counts={"a": 1}, pair=(1, "x"),
                      friends=[Person(name="Charles", age=40)]).model_dump_json()
    assert output.validate(document)["friends"][0]["name"] == "Charles"
    assert Grammar(output.grammar()).accepts(document)  # pydantic's own order and spacing


@pytest.mark.parametrize("schema", [
    {"type": "string", "minLength": 1, "maxLength": 9, "pattern": "^[a-z]+$"},
    {"type": "integer", "minimum": 0, "exclusiveMaximum": 10, "multipleOf": 2},
    {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True,
     "contains": {"const": "a"}},
    {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]},
    {"type": "object", "patternProperties": {"^x-": {"type": "string"}},
     "propertyNames": {"maxLength": 8}, "minProperties": 1, "dependentRequired": {"a": ["b"]}},
    {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}},
    {"not": {"type": "null"}, "x-order": 3, "discriminator": {"propertyName": "kind"}},
    {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {
        "n": {"type": "integer"}}, "type": "array", "items": [{"$ref": "#/definitions/n"}],
     "additionalItems": False, "dependencies": {"a": ["b"]}},
    {"$defs": {"a": {"$anchor": "here", "type": "string"}}, "$ref": "#here"},
    {"type": "string", "format": "password", "writeOnly": True},
])
def test_keywords_that_are_enforced_or_validated_are_accepted(schema: dict) -> None:
    OutputSchema.parse(json.dumps(schema))


@pytest.mark.parametrize("schema, fragment", [
    ({"$ref": "https://example.org/person.json"},
     "$ref 'https://example.org/person.json' at $ is not in this schema; lamp fetches no"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}},
     "$ref '#/$defs/missing' at $.a names nothing in the schema"),
    ({"$ref": "#nowhere"}, "no \"$anchor\" 'nowhere'"),
    ({"type": "object", "properties": {"n": {"type": "string", "nullable": True}}},
     "keyword 'nullable' at $.n is not part of this JSON Schema draft"),
    ({"type": "object", "dependencies": {"a": ["b"]}}, "use dependentRequired"),
    ({"type": "array", "prefixItems": [{"type": "string"}], "additionalItems": False},
     "keyword 'additionalItems' at $ is not part of"),
    ({"type": "integer", "divisibleBy": 2}, "use multipleOf"),
    ({"type": "string", "maxLenght": 3}, "unknown keyword 'maxLenght' at $ (did you mean "
                                         "'maxLength'?)"),
    ({"type": "array", "items": {"type": "integer", "minimun": 0}},
     "unknown keyword 'minimun' at $[] (did you mean 'minimum'?)"),
    ({"anyOf": [{"type": "object", "requried": ["a"]}]}, "at $.anyOf[0] (did you mean"),
    ({"type": "string", "pattern": "("}, "pattern '(' at $ is not a regular expression"),
    ({"type": "strin"}, "unknown type 'strin' at $"),
    ({"type": "array", "maxItems": -1}, "not a valid JSON Schema at $.maxItems"),
    ({"type": "string", "enum": []}, "no JSON document can satisfy this schema"),
    ({"type": "integer", "minimum": 10, "maximum": 1}, "no JSON document can satisfy"),
])
def test_what_nothing_would_check_is_refused_in_one_line(schema: dict, fragment: str) -> None:
    with pytest.raises(UsageError) as raised:
        OutputSchema.parse(json.dumps(schema))
    message = str(raised.value)
    assert fragment in message and "\n" not in message
    assert exit_code_for(raised.value) == 2
