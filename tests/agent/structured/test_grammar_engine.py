"""The same grammars in llama.cpp's own engine (a vocabulary-only load of the default
model): each parses, and lets through exactly the documents gbnf_match.py says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_engine import GrammarEngine
from schema_cases import CASES, Case

from lamp.agent.structured.output import OutputSchema

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine(default_model: Path) -> Iterator[GrammarEngine]:
    found = GrammarEngine(default_model)
    yield found
    found.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_llama_cpp_reads_the_grammar_and_agrees(engine: GrammarEngine, case: Case) -> None:
    grammar = OutputSchema.parse(json.dumps(case.schema)).grammar()
    assert engine.parses(grammar)
    assert [d for d in case.good if not engine.accepts(grammar, d)] == []
    assert [d for d in case.bad if engine.accepts(grammar, d)] == []


def test_multi_and_short_form_grammars(engine: GrammarEngine) -> None:
    multi = OutputSchema.parse("name, age int", multi=True).grammar()
    assert engine.accepts(multi, '[{"name": "Ada", "age": 36},\n  {"name": "Alan", "age": 41}]')
    assert engine.accepts(multi, "[]")
    assert not engine.accepts(multi, '[{"name": "Ada"}]')


def test_a_broken_grammar_is_refused_by_llama_cpp(engine: GrammarEngine) -> None:
    assert not engine.parses('root ::= "a" (')
