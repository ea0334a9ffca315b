"""`lamp ask --schema` in a subprocess on real models: the output validates, the exit codes
hold. The fast 0.5B preset where the model's skill does not matter; the default for the rest."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from lamp.agent.structured.spec import parse_short_form

pytestmark = pytest.mark.integration
FAST = ("--model", "qwen2.5-coder-0.5b", "--no-memory")
BORN = "name, birth_year int, city"


def test_english_sentence_gives_one_valid_object(run_lamp) -> None:
    proc = run_lamp("ask", *FAST, "--max-tokens", "64", "--schema", BORN, "extract",
                    stdin=b"Ada Lovelace, born 1815 in London")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    jsonschema.validate(data, parse_short_form(BORN))
    assert data["birth_year"] == 1815 and "Lovelace" in data["name"]
    assert proc.stdout.count(b"\n") == 1 and proc.stderr == b""


def test_korean_sentence_on_the_default_model(run_lamp, default_model: Path) -> None:
    proc = run_lamp("ask", "--no-memory", "--max-tokens", "64", "--schema", "name, age int",
                    "extract", stdin="김민수는 32살이고 부산에 산다.".encode())
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data == {"name": "김민수", "age": 32}


def test_multi_finds_three_people_on_the_default_model(run_lamp, default_model: Path) -> None:
    text = b"Ada Lovelace was 36. Alan Turing was 41 when he died. Grace Hopper lived to 85."
    proc = run_lamp("ask", "--no-memory", "--max-tokens", "128", "--schema-multi",
                    "name, age int", "extract every person", stdin=text)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    jsonschema.validate(data, {"type": "array", "items": parse_short_form("name, age int")})
    assert [p["age"] for p in data] == [36, 41, 85]


def test_jsonl_and_a_cut_answer(run_lamp) -> None:
    text = b"Ada Lovelace was 36. Alan Turing was 41 when he died."
    proc = run_lamp("ask", *FAST, "--max-tokens", "96", "--jsonl", "--schema-multi",
                    "name, age int", "extract every person", stdin=text)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert lines and all(set(json.loads(line)) == {"name", "age"} for line in lines)
    cut = run_lamp("ask", *FAST, "--max-tokens", "5", "--schema", BORN, "extract",
                   stdin=b"Ada Lovelace, born 1815 in London")
    assert (cut.returncode, cut.stdout) == (1, b"")
    assert cut.stderr == (b"lamp: error: the answer was cut at --max-tokens 5 before its JSON "
                          b"was complete; raise --max-tokens\n")


def test_unsupported_keyword_exits_2_without_a_model(run_lamp) -> None:
    proc = run_lamp("ask", "--model", "/no/such/model.gguf", "--schema",
                    '{"type": "string", "maxLenght": 2}', "x")
    assert (proc.returncode, proc.stdout) == (2, b"")
    assert proc.stderr.startswith(b"lamp: error: --schema: unknown keyword 'maxLenght' at $")
    assert proc.stderr.count(b"\n") == 1
