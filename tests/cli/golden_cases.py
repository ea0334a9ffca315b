"""The golden-run table: command lines of every answering mode, each run on the scripted
model, and what makes their output comparable from run to run (imported by
test_golden.py, not collected).

All coupling to lamp's internals is in ``run_step``: when the CLI's entry point
changes, that one function changes and the table and the recorded files stay.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["CASES", "Case", "Outcome", "Step", "normalise", "render", "run_case"]

SHORT = "name, age int"
PERSON = '{"name": "Ada Lovelace", "age": 36}'
TIDE = ("The Osk harbour keeps a tide log. The keeper writes the height of the tide "
        "at dawn and at dusk in a green ledger.\n")
CALC_CALL = ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n'
             "</tool_call>")
REACT_CALL = 'Thought: use a tool\nAction: calculator\nAction Input: {"expression": "6*7"}'
REACT_FINAL = "Thought: I know it now\nFinal Answer: 42"
PROGRAM = ("```python\ndef solution():\n    apples = 3 * 4\n    eaten = 5\n"
           "    return apples - eaten\n```")


@dataclass(frozen=True)
class Step:
    """One command line: its arguments after ``lamp``, piped stdin, and the model's replies
    in the order it is asked (a fresh scripted model per step)."""

    argv: tuple[str, ...]
    stdin: str | bytes = ""  # bytes for input that is not valid UTF-8
    replies: tuple[str, ...] = ()
    context: int = 4096  # the scripted model's context window


@dataclass(frozen=True)
class Case:
    """Command lines run in sequence in one fresh LAMP_HOME and one fresh working directory
    that holds ``files`` (relative path -> text)."""

    name: str
    steps: tuple[Step, ...]
    files: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    model_calls: int
    replies_left: int


def one(name: str, *argv: str, stdin: str | bytes = "", replies: tuple[str, ...] = (),
        files: Mapping[str, str] | None = None, context: int = 4096) -> Case:
    """A case of a single command line."""
    return Case(name, (Step(argv, stdin, replies, context),), files or {})


def run_step(step: Step, monkeypatch: pytest.MonkeyPatch,
             capture: pytest.CaptureFixture[str]) -> Outcome:
    """Run one command line in this process on a scripted model: the one place that knows
    how lamp's CLI is entered. ``capture`` is capfd, so the output of a command lamp runs
    (`cmd --yes`) is seen too. How many requests the model got, and how many queued replies
    it never needed, are part of the record: a mode that asks the model once more or once
    less has changed."""
    from lamp.agent.models import ScriptedBackend
    from lamp.cli import main as cli_main
    from lamp.cli.runtime import Preloaded

    backend = ScriptedBackend(context=step.context).enqueue(*step.replies)
    monkeypatch.setattr(sys, "argv", ["lamp", *step.argv])
    monkeypatch.setattr(sys, "stdin", _PipedStdin(io.BytesIO(_bytes(step.stdin))))
    capture.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        cli_main.run(model_source=Preloaded(backend))
    out, err = capture.readouterr()
    code = exit_info.value.code
    return Outcome(code if isinstance(code, int) else (0 if code is None else 1), out, err,
                   len(backend.requests), len(backend.replies))


def _bytes(stdin: str | bytes) -> bytes:
    return stdin if isinstance(stdin, bytes) else stdin.encode()


class _PipedStdin(io.TextIOWrapper):
    """Piped stdin: never a terminal."""

    def isatty(self) -> bool:
        return False


def run_case(case: Case, cwd: Path, monkeypatch: pytest.MonkeyPatch,
             capture: pytest.CaptureFixture[str]) -> list[Outcome]:
    """Every step of ``case``, in ``cwd`` after writing its files there."""
    for relative, text in case.files.items():
        path = cwd / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(cwd)
    return [run_step(step, monkeypatch, capture) for step in case.steps]


# What varies between runs of the same command line, and what it becomes.
_TIMING = re.compile(r'("(?:[a-z_]+_s|tokens_per_s|seconds)": )-?\d+(?:\.\d+)?(?:e-?\d+)?')
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_PID = re.compile(r"\bpid[ =:]+\d+", re.IGNORECASE)
_DOC_ID = re.compile(r"\bdoc:[0-9a-f]{16}:")  # a hash of the document's absolute path
_SESSION = re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{4}\b")  # a new session's name: time + random


_LAYERS = re.compile(r'("sandbox_layers": )\[[^\]]*\]')


def normalise(text: str, places: Mapping[str, str]) -> str:
    """Replace run-specific values: ``places`` (path -> token, longest first), timings in
    JSON, new session names, document ids, dates and pids."""
    for path, token in sorted(places.items(), key=lambda item: -len(item[0])):
        text = text.replace(path, token)
    text = _TIMING.sub(r"\g<1>0", text)
    text = _SESSION.sub("<SESSION>", text)
    text = _DOC_ID.sub("doc:<PATH-HASH>:", text)
    text = _DATE.sub("<DATE>", text)
    # The sandbox layers PAL ran under are the machine's (CI hides bubblewrap once).
    text = _LAYERS.sub(r'\g<1>"<LAYERS>"', text)
    return _PID.sub("pid <PID>", text)


def render(case: Case, outcomes: list[Outcome], places: Mapping[str, str]) -> str:
    """The readable record of a case: per step a header, then stdout and stderr verbatim
    (a missing final newline is marked, so the comparison stays exact)."""
    parts = [f"# golden case: {case.name}\n"]
    for relative, text in case.files.items():
        parts.append(f"# file {relative}: {json.dumps(text, ensure_ascii=False)}\n")
    for step, outcome in zip(case.steps, outcomes, strict=True):
        parts.append(f"\n$ lamp {shlex.join(step.argv)}\n")
        shown = (repr(step.stdin) if isinstance(step.stdin, bytes)
                 else json.dumps(step.stdin, ensure_ascii=False))
        if len(shown) > 200:
            shown = f"{shown[:80]}... ({len(step.stdin)} characters)"
        parts.append(f"stdin: {shown}\n")
        parts.append(f"exit: {outcome.code}\n")
        parts.append(f"model calls: {outcome.model_calls}, replies left: "
                     f"{outcome.replies_left}\n")
        for label, stream in (("stdout", outcome.out), ("stderr", outcome.err)):
            body = normalise(stream, places)
            if body and not body.endswith("\n"):
                body += "\n[no newline at end]\n"
            parts.append(f"--- {label}\n{body}")
    return "".join(parts)


CASES: tuple[Case, ...] = (
    # --- ask: plain answers
    one("ask_plain", "ask", "hello", replies=("Hello there.",)),
    one("ask_stdin_material", "ask", "summarize this", stdin="notes line one\nline two\n",
        replies=("Two lines of notes.",)),
    one("ask_template_summarize", "ask", "-t", "summarize", stdin="A long text about tides.\n",
        replies=("Tides rise and fall.",)),
    one("ask_template_translate", "ask", "-t", "translate", "German", stdin="Good morning\n",
        replies=("Guten Morgen",)),
    one("ask_system", "ask", "--system", "Be terse.", "q", replies=("ok",)),
    one("ask_json", "ask", "--json", "--temperature", "0", "--seed", "7", "hello",
        replies=("scripted answer",)),
    one("ask_quiet", "ask", "--quiet", "hello", replies=("quiet answer",)),
    one("ask_max_tokens_cut", "ask", "--max-tokens", "3", "--json", "count",
        replies=("one two three four five",)),
    one("ask_no_memory", "ask", "--no-memory", "hello", replies=("no memory here",)),
    one("ask_multiline_markdown", "ask", "list", replies=("# Title\n\n- a\n- b\n\n`code`",)),
    one("ask_empty_prompt", "ask"),
    one("ask_blank_prompt_and_stdin", "ask", "   ", stdin="  \n"),
    one("ask_unknown_template", "ask", "-t", "nope", "x"),
    one("ask_bad_temperature", "ask", "--temperature", "-1", "x"),
    one("ask_max_tokens_over_ctx", "ask", "--max-tokens", "9999", "x"),
    one("ask_unknown_flag", "ask", "--no-such-flag", "x"),
    one("ask_non_utf8_stdin", "ask", "translate", stdin=b"caf\xe9", replies=("ok",)),
    one("ask_input_over_context", "ask", "summarize", stdin="word " * 3000, context=2048),
    one("ask_truncate", "ask", "--truncate", "summarize", stdin="word " * 3000,
        replies=("short",), context=2048),
    one("ask_continue_without_session", "ask", "-c", "x", replies=("fresh",)),
    Case("ask_session_continue_memory_list", (
        Step(("ask", "--session", "s1", "My name is Ada."), replies=("Hello Ada.",)),
        Step(("ask", "-c", "What is my name?"), replies=("Your name is Ada.",)),
        Step(("ask", "--session", "s1", "--json", "again?"), replies=("Ada again.",)),
        Step(("memory", "list",)),
    )),
    # --- ask --schema
    one("schema_fields", "ask", "--no-memory", "--schema", SHORT, "extract",
        stdin="Ada Lovelace died at 36.", replies=(PERSON,)),
    one("schema_inline_json", "ask", "--no-memory", "--schema",
        '{"type": "object", "properties": {"sentiment": {"enum": ["positive", "negative"]}}, '
        '"required": ["sentiment"]}', "-t", "sentiment", stdin="It broke on day one.",
        replies=('{"sentiment": "negative"}',)),
    one("schema_json_envelope", "ask", "--no-memory", "--json", "--schema", SHORT, "x",
        replies=('{"name": "Ada", "age": 36}',)),
    one("schema_multi_array", "ask", "--no-memory", "--schema-multi", SHORT, "x",
        replies=('[{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}]',)),
    one("schema_multi_jsonl", "ask", "--no-memory", "--schema-multi", SHORT, "--jsonl", "x",
        replies=('[{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}]',)),
    # An invalid answer is sent back once with the validation error; these fail twice.
    one("schema_off_schema_answer", "ask", "--no-memory", "--schema", SHORT, "x",
        replies=('{"name": "Ada", "age": "old"}',) * 2),
    one("schema_not_json", "ask", "--no-memory", "--schema", SHORT, "x",
        replies=("Ada is 36",) * 2),
    one("schema_unknown_type", "ask", "--no-memory", "--schema", "name, age years", "x"),
    one("schema_and_multi", "ask", "--no-memory", "--schema", SHORT, "--schema-multi", SHORT,
        "x"),
    one("jsonl_without_multi", "ask", "--no-memory", "--jsonl", "--schema", SHORT, "x"),
    one("jsonl_alone", "ask", "--no-memory", "--jsonl", "x"),
    # --- ask --each
    one("each_plain", "ask", "--each", "in French", stdin="Hello\n\nThank you\nGoodbye\n",
        replies=("Bonjour", "Merci", "Au revoir")),
    one("each_json", "ask", "--each", "--json", "--no-memory",
        stdin="이 영화 최고예요\n별로였어요\n", replies=("긍정", "부정")),
    one("each_field", "ask", "--each", "--field", "text", "--json", "sentiment?",
        stdin='{"text": "great"}\n{"text": "awful"}\n', replies=("positive", "negative")),
    one("each_template", "ask", "--each", "-t", "sentiment", stdin="I love it\nI hate it\n",
        replies=("positive", "negative")),
    one("each_multiline_answer", "ask", "--each", stdin="a\nb", replies=("first\nsecond", "x")),
    one("each_schema", "ask", "--each", "--schema", SHORT, stdin="Ada is 36\nAlan is 41\n",
        replies=('{"name": "Ada", "age": 36}', '{"name": "Alan", "age": 41}')),
    one("each_with_session", "ask", "--each", "--session", "s", stdin="a\n"),
    one("each_with_tools", "ask", "--each", "--tools", "calculator", stdin="a\n"),
    one("each_no_input", "ask", "--each", "x"),
    one("each_field_not_json", "ask", "--each", "--field", "text", stdin='{"text": "ok"}\nplain\n',
        replies=("fine",)),
    one("each_one_line_fails", "ask", "--each", "--schema", SHORT, stdin="Ada is 36\nnobody\n",
        replies=('{"name": "Ada", "age": 36}', "no person here", "no person here")),
    one("each_one_line_fails_json", "ask", "--each", "--json", "--schema", SHORT,
        stdin="Ada is 36\nnobody\n",
        replies=('{"name": "Ada", "age": 36}', "no person here", "no person here")),
    # --- ask -f / --docs
    one("file_text", "ask", "-f", "notes.txt", "What colour is the ledger?",
        files={"notes.txt": TIDE}, replies=("Green.",)),
    one("file_markdown", "ask", "--no-memory", "-f", "doc.md", "Summarise",
        files={"doc.md": "# Harbour\n\n" + TIDE}, replies=("A harbour log.",)),
    one("file_missing", "ask", "-f", "missing.txt", "x"),
    Case("docs_ingest_then_ask", (
        Step(("memory", "ingest", "notes")),
        Step(("ask", "--docs", "--no-memory", "Where does the keeper write the tide?"),
             replies=("The keeper writes it in a green ledger [1].",)),
        Step(("ask", "--docs", "--json", "--no-memory", "--sources", "1",
              "Where does the keeper write the tide?"), replies=("In a green ledger [1].",)),
    ), files={"notes/harbour.md": "# Harbour\n\n" + TIDE,
              "notes/library.txt": "The library opened in 2009.\n"}),
    Case("docs_collection", (
        Step(("memory", "ingest", "--collection", "harbour", "notes")),
        Step(("ask", "--docs", "--collection", "harbour", "--no-memory", "Which ledger?"),
             replies=("The green one [1].",)),
        Step(("ask", "--docs", "--collection", "nope", "--no-memory", "Which ledger?")),
    ), files={"notes/harbour.md": "# Harbour\n\n" + TIDE}),
    one("docs_nothing_ingested", "ask", "--docs", "--no-memory", "x"),
    one("docs_with_tools", "ask", "--docs", "--tools", "calculator", "x"),
    one("collection_without_docs", "ask", "--collection", "c", "x"),
    # --- ask --tools
    one("tools_native", "ask", "--no-memory", "--tools", "calculator", "What is 6*7?",
        replies=("tool", "yes", CALC_CALL, "42")),
    one("tools_native_json", "ask", "--no-memory", "--tools", "calculator", "--json",
        "What is 6*7?", replies=("tool", "yes", CALC_CALL, "42")),
    one("tools_react", "ask", "--no-memory", "--tools", "calculator", "--tool-format", "react",
        "--route", "off", "What is 6*7?", replies=(REACT_CALL, REACT_FINAL)),
    one("tools_native_route_off", "ask", "--no-memory", "--tools", "calculator",
        "--tool-format", "native", "--route", "off", "What is 6*7?", replies=(CALC_CALL, "42")),
    one("tools_direct_answer", "ask", "--no-memory", "--tools", "calculator",
        "Capital of France?", replies=("direct", "Paris.")),
    one("tools_step_limit", "ask", "--no-memory", "--tools", "calculator", "--route", "off",
        "--max-steps", "1", "What is 6*7?", replies=(CALC_CALL,)),
    one("tools_step_limit_json", "ask", "--no-memory", "--tools", "calculator", "--route",
        "off", "--max-steps", "1", "--json", "What is 6*7?", replies=(CALC_CALL,)),
    one("tools_react_json", "ask", "--no-memory", "--tools", "calculator", "--tool-format",
        "react", "--route", "off", "--json", "What is 6*7?", replies=(REACT_CALL, REACT_FINAL)),
    one("tools_quiet", "ask", "--no-memory", "--tools", "calculator", "--quiet", "--route",
        "off", "What is 6*7?", replies=(CALC_CALL, "42")),
    one("tools_unknown", "ask", "--no-memory", "--tools", "python,teleport", "hi"),
    one("tools_with_schema", "ask", "--no-memory", "--tools", "calculator", "--schema", SHORT,
        "x"),
    one("tools_bad_format", "ask", "--no-memory", "--tool-format", "json", "hi"),
    # --- pal
    one("pal_plain", "pal", "Tom has 3 bags of 4 apples and eats 5. How many are left?",
        replies=(PROGRAM,)),
    one("pal_json", "pal", "--json", "Tom has 3 bags of 4 apples and eats 5. How many left?",
        replies=(PROGRAM,)),
    one("pal_show_code", "pal", "--show-code", "3 bags of 4 apples, 5 eaten: how many left?",
        replies=(PROGRAM,)),
    one("pal_stdin", "pal", stdin="3 bags of 4 apples, 5 eaten: how many left?\n",
        replies=(PROGRAM,)),
    one("pal_explain", "pal", "--explain", "3 bags of 4 apples, 5 eaten: how many left?",
        replies=(PROGRAM, "Seven apples are left.")),
    one("pal_broken_program", "pal", "3 bags of 4 apples, 5 eaten: how many left?",
        # the first program, its retry, and the 4 drawn because no value came
        replies=("```python\ndef solution():\n    return 1 / 0\n```",
                 "```python\ndef solution():\n    return undefined_name\n```",
                 *["```python\ndef solution():\n    return 2 / 0\n```"] * 4)),
    one("pal_bad_sandbox", "pal", "--sandbox", "loose", "1 + 1"),
    # --- cmd
    one("cmd_pipe", "cmd", "--shell", "sh", "list files", replies=("ls -a",)),
    one("cmd_print", "cmd", "--shell", "sh", "--print", "list files", replies=("ls -la",)),
    one("cmd_stdin_request", "cmd", "--shell", "sh", stdin="list files\n", replies=("ls",)),
    one("cmd_yes_flagged", "cmd", "--shell", "sh", "--yes", "clean", replies=("rm -r build",)),
    one("cmd_yes_runs", "cmd", "--shell", "sh", "--yes", "say hi", replies=("echo hi",)),
    one("cmd_print_and_yes", "cmd", "--shell", "sh", "--print", "--yes", "x"),
    # --- chat on a pipe
    one("chat_turns_and_slash", "chat", "--no-memory",
        stdin="hello\n/help\nsecond question\n/reset\nafter reset\n/exit\n",
        replies=("Hi!", "Second answer.", "Fresh start.")),
    one("chat_system_and_unknown_slash", "chat", "--no-memory",
        stdin="/system Be brief.\n/system\n/nope\nq\n", replies=("Brief.",)),
    Case("chat_session_then_memory", (
        Step(("chat", "--session", "c1"), stdin="remember blue\n", replies=("Noted.",)),
        Step(("memory", "list",)),
    )),
    one("chat_tools", "chat", "--no-memory", stdin="/tools calculator\nWhat is 6*7?\n",
        replies=("tool", "yes", CALC_CALL, "42")),
)
