"""`lamp ask --each` with a scripted model: one stdout line per input, in order; what stderr
says; exit codes; flags refused before the model loads."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from scripted_cli import invoke as run_cli
from scripted_cli import invoke_without_model

from lamp.agent.models import Capabilities, ScriptedBackend
from lamp.cli.each_run import EachProgress, escape_line


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
           stdin: bytes = b"", backend: ScriptedBackend | None = None) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capsys, "ask", *args, stdin=stdin, backend=backend)


def test_one_plain_line_per_input_in_order_and_nothing_on_stderr(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("Bonjour", "Merci", "Au revoir")
    code, out, err = invoke(monkeypatch, capsys, "--each", "in French",
                            stdin=b"Hello\n\nThank you\nGoodbye\n", backend=backend)
    assert (code, err) == (0, "")  # a pipe: no progress bar, no spinner
    assert out == "Bonjour\nMerci\nAu revoir\n"
    assert [r[0][-1].content.split("<input>\n")[1].removesuffix("\n</input>")
            for r in backend.requests] == ["Hello", "Thank you", "Goodbye"]


def test_a_multi_line_answer_stays_one_escaped_line(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("first\nsecond \\o/", "x")
    code, out, _ = invoke(monkeypatch, capsys, "--each", stdin=b"a\nb", backend=backend)
    assert code == 0 and out == "first\\nsecond \\\\o/\nx\n"
    assert escape_line("a\r\nb\\") == "a\\r\\nb\\\\"


def test_korean_inputs_and_json_lines_out(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("긍정", "부정")
    code, out, err = invoke(monkeypatch, capsys, "--each", "--json", "--no-memory",
                            stdin="이 영화 최고예요\n별로였어요\n".encode(), backend=backend)
    assert (code, err) == (0, "")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["line"], r["input"], r["answer"], r["error"]) for r in rows] == [
        (1, "이 영화 최고예요", "긍정", None), (2, "별로였어요", "부정", None)]
    assert rows[0]["usage"]["finish_reason"] == "stop"
    assert "최고" in out  # not \\u-escaped


def test_jsonl_field_and_a_bad_line_reported_in_its_place(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("A", "C")
    stdin = b'{"id": 1, "text": "a"}\n{broken\n{"id": 3, "text": "c"}\n'
    code, out, err = invoke(monkeypatch, capsys, "--each", "--field", "text", "--json",
                            stdin=stdin, backend=backend)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["line"], r["answer"]) for r in rows] == [(1, "A"), (2, None), (3, "C")]
    assert rows[1]["error"].startswith("not valid JSON") and rows[1]["input"] is None
    assert code == 2  # bad input
    lines = err.splitlines()
    assert lines[0].startswith("lamp: error: line 2: not valid JSON")
    assert lines[1] == "lamp: error: 1 of 3 inputs failed (line 2)"


def test_schema_each_line_a_document_or_null_and_exit_1(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue('{"name": "Ada", "age": 36}', '{"name": 1, "age": 2}',
                                        '{"name": 1, "age": 2}')  # line 2 and its retry
    code, out, err = invoke(monkeypatch, capsys, "--each", "--schema", "name, age int",
                            "extract", stdin=b"Ada is 36\nBob\n", backend=backend)
    assert code == 1
    assert out == '{"name": "Ada", "age": 36}\nnull\n'
    assert err.splitlines() == [
        "lamp: error: line 2: the answer does not match the schema at $.name: 1 is not of "
        "type 'string'",
        "lamp: error: 1 of 2 inputs failed (line 2)"]
    assert all(r[2] is not None for r in backend.requests)


def test_plain_failed_line_is_an_empty_line(monkeypatch, capsys) -> None:
    backend = ScriptedBackend(context=60).enqueue("ok")
    code, out, err = invoke(monkeypatch, capsys, "--each", "--max-tokens", "8",
                            stdin=b"word " * 60 + b"\nhi\n",
                            backend=backend)
    assert (code, out) == (2, "\nok\n")
    assert "line 1:" in err and "context" in err


def test_the_first_failure_decides_the_exit_code(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("not json", "not json")  # an answer and its retry
    code, out, err = invoke(monkeypatch, capsys, "--each", "--field", "q", "--schema", "name",
                            stdin=b'{"q": "x"}\n{"r": 1}\n', backend=backend)
    assert code == 1 and out == "null\nnull\n"
    assert err.splitlines()[-1] == "lamp: error: 2 of 2 inputs failed (lines 1, 2)"


@pytest.mark.parametrize("args, fragment", [
    (("--field", "text"), "--field needs --each"),
    (("--parallel", "2"), "--parallel needs --each"),
    (("--each", "--parallel", "2"), "--parallel needs a model server"),
    (("--each", "--tools", "calculator"), "--each cannot be combined with --tools"),
    (("--each", "--session", "s"), "drop --session / --continue"),
    (("--each", "-c"), "drop --session / --continue"),
    (("--each", "--jsonl", "--schema-multi", "name"), "--jsonl cannot be combined with --each"),
    (("--each", "--field", " "), "--field needs the name"),
])
def test_flag_conflicts_exit_2_before_the_model(monkeypatch, capsys, args, fragment) -> None:
    code, out, err = invoke_without_model(monkeypatch, capsys, "ask", *args, "x", stdin=b"a\n")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and fragment in err


@pytest.mark.parametrize("stdin, fragment", [
    (b"", "none came (stdin is empty or blank)"),
    (b"\n  \n", "none came (stdin is empty or blank)"),
])
def test_no_inputs_exit_2(monkeypatch, capsys, stdin, fragment) -> None:
    code, out, err = invoke(monkeypatch, capsys, "--each", "x", stdin=stdin)
    assert (code, out) == (2, "") and fragment in err


def test_parallel_through_a_concurrent_backend_is_accepted(monkeypatch, capsys) -> None:
    monkeypatch.setenv("LAMP_BACKEND", "openai")
    backend = ScriptedBackend(capabilities=Capabilities(grammar=True, concurrent=True))
    backend.enqueue("same", "same")
    code, out, _ = invoke(monkeypatch, capsys, "--each", "--parallel", "2", "--base-url",
                          "http://127.0.0.1:9/v1", stdin=b"a\nb\n", backend=backend)
    assert (code, out) == (0, "same\nsame\n")


def test_progress_bar_counts_inputs_on_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with EachProgress(console, 3) as bar:
        bar.advance()
        bar.advance()
    assert "2/3" in screen.getvalue()
