"""`lamp ask --each` in a subprocess on the fast 0.5B preset: one line per input, in order,
one model load, a Korean input among English ones. (``--parallel`` against the real
``llama_cpp.server`` is in tests/agent/models/test_http_backend.py, beside its fixture.)"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration
FAST = ("--model", "qwen2.5-coder-0.5b", "--threads", "1", "--temperature", "0")


def test_schema_per_line_in_input_order_with_korean(run_lamp) -> None:
    people = ("Ada Lovelace was 36 years old.\n\n"
              "김민수는 32살이다.\n"
              "Alan Turing was 41 years old.\n").encode()
    proc = run_lamp("ask", *FAST, "--max-tokens", "48", "--each", "--schema",
                    "name, age int", "extract the person", stdin=people)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == b""  # a pipe: no bar, no spinner
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [row["age"] for row in rows] == [36, 32, 41]
    assert "Lovelace" in rows[0]["name"] and "Turing" in rows[2]["name"]


def test_plain_and_json_lines_one_per_input(run_lamp) -> None:
    questions = ("What is the capital of France?\n"
               "한국의 수도는 어디인가요?\n"
               "Write two lines: first 'a', then 'b'.\n").encode()
    plain = run_lamp("ask", *FAST, "--max-tokens", "24", "--each", stdin=questions)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.decode().split("\n")
    assert len(lines) == 4 and lines[-1] == ""  # three answers, each on one line
    assert "Paris" in lines[0] and "서울" in lines[1]
    done = run_lamp("ask", *FAST, "--max-tokens", "24", "--each", "--json", stdin=questions)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(r["line"], r["error"]) for r in rows] == [(1, None), (2, None), (3, None)]
    assert rows[1]["input"] == "한국의 수도는 어디인가요?"
    assert [r["answer"] for r in rows] == [line.replace("\\n", "\n").replace("\\\\", "\\")
                                            for line in lines[:3]]


def test_a_cut_answer_fails_its_line_only(run_lamp) -> None:
    proc = run_lamp("ask", *FAST, "--max-tokens", "6", "--each", "--schema",
                    "name, birth_year int, city", "extract",
                    stdin=b"Ada Lovelace, born 1815 in London\nBo\n")
    assert proc.returncode == 1
    assert proc.stdout == b"null\nnull\n"  # too short for three fields: never a partial one
    err = proc.stderr.decode().splitlines()
    assert err[0].startswith("lamp: error: line 1: the answer was cut at --max-tokens 6")
    assert err[-1] == "lamp: error: 2 of 2 inputs failed (lines 1, 2)"
