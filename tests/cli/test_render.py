"""The renderer family on scripted events, into string buffers (no terminal needed)."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from lamp.agent.events import CodeRun, FinalAnswer, Notice, Observation, TextDelta, ToolCall, Usage
from lamp.cli.render import JsonRenderer, PlainRenderer, RichRenderer

USAGE = Usage(3, 2, 0.1, 0.2, "stop")


def conversation() -> list:
    return [Notice("input truncated"), TextDelta("Hello"), TextDelta(" there"), USAGE,
            FinalAnswer("Hello there")]


def test_plain_streams_text_and_ends_with_a_newline(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    result = PlainRenderer(out=out).render(conversation())
    assert out.getvalue() == "Hello there\n"
    assert (result.answer, result.usage, result.notices) == ("Hello there", USAGE,
                                                            ["input truncated"])
    assert capsys.readouterr().err == "lamp: warning: input truncated\n"


def test_a_warning_is_said_once_per_command(capsys: pytest.CaptureFixture[str]) -> None:
    said: set[str] = set()
    for _ in range(2):
        PlainRenderer(out=io.StringIO(), said=said).render([Notice("no Landlock")])
    assert capsys.readouterr().err == "lamp: warning: no Landlock\n"


def test_other_notices_only_with_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    events = [Notice("prefix cache: hit", level="debug")]
    PlainRenderer(out=io.StringIO()).render(events)
    assert capsys.readouterr().err == ""
    PlainRenderer(out=io.StringIO(), verbose=True).render(events)
    assert capsys.readouterr().err == "lamp: warning: prefix cache: hit\n"
    PlainRenderer(out=io.StringIO(), verbose=True, quiet=True).render(events)
    assert capsys.readouterr().err == ""


def test_a_tool_run_shows_only_its_answer_on_a_pipe(capsys) -> None:
    out = io.StringIO()
    renderer = PlainRenderer(out=out, stream=False)
    result = renderer.render([ToolCall("calculator", {"expression": "6*7"}),
                              Observation("calculator", "42"), FinalAnswer("42\n")])
    renderer.finish(result.answer)
    assert out.getvalue() == "42\n"


def test_programs_go_to_stderr_with_show_code(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    PlainRenderer(out=out, stream=False, show_code=True).render(
        [CodeRun("print(1)", "1", "", 0), CodeRun("boom()", "", "NameError: boom", 1)])
    assert out.getvalue() == ""
    assert capsys.readouterr().err == ("--- program (ok) ---\nprint(1)\n--- output ---\n1\n"
                                       "--- program (failed) ---\nboom()\n"
                                       "--- error ---\nNameError: boom\n")


def test_rich_draws_steps_in_panels_and_the_answer_as_markdown() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=60, color_system=None)
    renderer = RichRenderer(console=console, stream=False)
    result = renderer.render([ToolCall("calculator", {"expression": "6*7"}, "multiply"),
                              Observation("calculator", "42", seconds=0.5), FinalAnswer("**42**")])
    renderer.finish(result.answer)
    shown = buffer.getvalue()
    assert "multiply" in shown and "action: calculator" in shown
    assert "observation (0.50s)" in shown and shown.rstrip().endswith("42")
    assert "**" not in shown


def test_rich_shows_escapes_in_tool_steps_instead_of_obeying_them() -> None:
    """A file a tool read (or a thought the model repeated from it) may hold escape
    sequences that erase lines or reverse text; on a terminal they are shown, not run."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system=None)
    renderer = RichRenderer(console=console, stream=False)
    renderer.render([
        ToolCall("read_file", {"path": "notes\u202etxt.sh"}, "read it\x1b[2K"),
        Observation("read_file", "safe line\rrm -rf ~\x1b[1A\x1b[2K\ttabbed\n", seconds=0.1)])
    shown = buffer.getvalue()
    assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown
    assert "\\x1b[2K" in shown and "\\u202e" in shown
    assert "safe line\\rrm -rf ~" in shown and "        tabbed" in shown


def test_rich_answer_shows_escapes_and_keeps_korean() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None)
    renderer = RichRenderer(console=console, stream=False)
    renderer.finish("안녕하세요 👩\u200d💻 done\x1b[2J\rgone\u202e")
    shown = buffer.getvalue()
    assert "안녕하세요 👩\u200d💻 done" in shown
    assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown
    assert "\\x1b[2J\\rgone\\u202e" in shown


def test_rich_streams_markdown(capsys) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=60, color_system=None)
    RichRenderer(console=console, quiet=True).render(conversation())
    assert "Hello there" in buffer.getvalue()


def test_json_collects_and_emits_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    renderer = JsonRenderer(out=out)
    result = renderer.render(conversation())
    renderer.emit({"answer": result.answer, "warnings": result.notices})
    assert json.loads(out.getvalue()) == {"answer": "Hello there",
                                          "warnings": ["input truncated"]}
    renderer.partial("never printed")
    assert out.getvalue().count("\n") == 1
