"""`lamp ask --schema / --schema-multi / --jsonl` with a scripted model: what reaches stdout,
what the model was asked under, and the exit codes."""

from __future__ import annotations

import json

import pytest
from scripted_cli import invoke, invoke_without_model

from lamp.agent.models import Capabilities, Chunk, ScriptedBackend

SHORT = "name, age int"




def test_one_valid_document_from_stdin_material(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue('{"name": "Ada Lovelace", "age": 36}')
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema", SHORT,
                            "extract", stdin=b"Ada Lovelace died at 36.", backend=backend)
    assert (code, err) == (0, "")
    assert out == '{"name": "Ada Lovelace", "age": 36}\n'
    messages, sampling, grammar = backend.requests[0]
    assert "Ada Lovelace died at 36." in messages[-1].content
    assert "JSON Schema" in messages[0].content and '"age"' in messages[0].content
    assert grammar is not None and '"\\"age\\""' in grammar
    assert sampling.temperature == 0  # greedy unless chosen


def test_a_chosen_temperature_is_kept(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue('{"name": "A", "age": 1}')
    invoke(monkeypatch, capsys, "ask", "--no-memory", "--temperature", "0.5", "--schema", SHORT,
           "x", backend=backend)
    assert backend.requests[0][1].temperature == 0.5


def test_off_schema_answer_exits_1_with_one_line_and_no_json(monkeypatch, capsys) -> None:
    # Off-schema twice: the answer and its one retry.
    backend = ScriptedBackend().enqueue('{"name": "Ada", "age": "old"}',
                                        '{"name": "Ada", "age": "old"}')
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema", SHORT, "x",
                            backend=backend)
    assert (code, out) == (1, "")
    assert err == ("lamp: error: the answer does not match the schema at $.age: "
                   "'old' is not of type 'integer'\n")


def test_answer_cut_by_max_tokens_exits_1(monkeypatch, capsys) -> None:
    class Cut(ScriptedBackend):
        def stream_chat(self, messages, sampling, grammar=None, tools=None, json_schema=None):
            yield Chunk('{"name": "Ad')
            yield Chunk("", prompt_tokens=9, completion_tokens=4, finish_reason="length")

    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--max-tokens", "4",
                            "--schema", SHORT, "x", backend=Cut())
    assert (code, out) == (1, "")
    assert err == ("lamp: error: the answer was cut at --max-tokens 4 before its JSON was "
                   "complete; raise --max-tokens\n")


def test_unparsable_answer_exits_1(monkeypatch, capsys) -> None:
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema", SHORT, "x",
                            backend=ScriptedBackend().enqueue("Ada is 36", "Ada is 36"))
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith("lamp: error: the answer is not valid JSON")


@pytest.mark.parametrize("args, fragment", [
    (("--schema", '{"type": "string", "nullable": true}'), "keyword 'nullable' at $"),
    (("--schema", "name, age years"), "unknown type 'years' for field 'age'"),
    (("--schema", "/no/such/schema.json"), "schema file not found"),
    (("--schema", "{not json"), "--schema is not valid JSON"),
    (("--schema", SHORT, "--schema-multi", SHORT), "not both"),
    (("--jsonl", "--schema", SHORT), "--jsonl needs --schema-multi"),
    (("--jsonl", "--json", "--schema-multi", SHORT), "cannot be combined"),
    (("--tools", "calculator", "--schema", SHORT), "--schema cannot be combined with --tools"),
])
def test_bad_schema_or_flags_exit_2_before_the_model(monkeypatch, capsys, args, fragment
                                                     ) -> None:
    code, out, err = invoke_without_model(monkeypatch, capsys, "ask", "--no-memory", *args,
                                          "x")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and fragment in err


def test_multi_prints_an_array_or_json_lines(monkeypatch, capsys) -> None:
    found = '[{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}]'
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema-multi", SHORT,
                          "x", backend=ScriptedBackend().enqueue(found))
    assert code == 0 and json.loads(out) == json.loads(found) and out.count("\n") == 1
    backend = ScriptedBackend().enqueue(found)
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema-multi", SHORT,
                          "--jsonl", "x", backend=backend)
    assert code == 0 and out.splitlines() == ['{"name": "Ada", "age": 36}',
                                              '{"name": "Alan", "age": 41}']
    assert "root-list" in (backend.requests[0][2] or "")
    assert "one item for each match" in backend.requests[0][0][0].content


def test_template_keeps_its_prompt_and_gains_the_schema(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue('{"sentiment": "negative"}')
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "-t", "sentiment",
                          "--schema", '{"type": "object", "properties": {"sentiment": {"enum": '
                          '["positive", "negative"]}}, "required": ["sentiment"]}',
                          stdin=b"It broke on day one.", backend=backend)
    assert code == 0 and json.loads(out) == {"sentiment": "negative"}
    messages = backend.requests[0][0]
    assert "It broke on day one." in messages[-1].content
    assert messages[0].content.endswith('"required": ["sentiment"]}')


def test_json_envelope_carries_the_parsed_document(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue('{"name": "Ada", "age": 36}')
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "--json", "--schema",
                          SHORT, "x", backend=backend)
    payload = json.loads(out)
    assert code == 0 and payload["answer"] == {"name": "Ada", "age": 36}
    assert payload["usage"]["completion_tokens"] > 0


def test_a_json_schema_backend_gets_the_schema_not_a_grammar(monkeypatch, capsys) -> None:
    backend = ScriptedBackend(capabilities=Capabilities(json_schema=True))
    backend.enqueue('[{"name": "Ada", "age": 36}]')
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema-multi", SHORT,
                          "x", backend=backend)
    assert code == 0 and json.loads(out) == [{"name": "Ada", "age": 36}]
    assert backend.requests[0][2] is None
    sent = backend.json_schemas[0]
    assert sent is not None and sent["type"] == "array"
    assert sent["items"]["required"] == ["name", "age"]


def test_a_backend_that_cannot_constrain_exits_2(monkeypatch, capsys) -> None:
    backend = ScriptedBackend(capabilities=Capabilities())
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--schema", SHORT, "x",
                            backend=backend)
    assert (code, out) == (2, "") and "cannot constrain its output to a schema" in err
    assert err.count("\n") == 1 and backend.requests == []
