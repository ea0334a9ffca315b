"""The renderer family on scripted events, into an Output of string buffers (no terminal)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pytest
from rich.console import Console

from lamp.agent.app.output import Output
from lamp.agent.app.result import Run, RunResult
from lamp.agent.errors import StepLimitReached
from lamp.agent.events import (
    CodeRun,
    Event,
    FinalAnswer,
    Notice,
    Observation,
    Routed,
    TextDelta,
    ToolCall,
    Usage,
)
from lamp.cli.render import JsonRenderer, PlainRenderer, RichRenderer, renderer_for, result_json
from lamp.cli.render.terminal import console_for

USAGE = Usage(3, 2, 0.1, 0.2, "stop")


def conversation() -> list[Event]:
    return [Notice("input truncated"), TextDelta("Hello"), TextDelta(" there"), USAGE,
            FinalAnswer("Hello there")]


def buffers(*, terminal: bool = False, width: int | None = None) -> Output:
    return Output(stdout=io.StringIO(), stderr=io.StringIO(), stdout_terminal=terminal,
                  width=width)


def out(output: Output) -> str:
    return output.stdout.getvalue()  # type: ignore[attr-defined]


def err(output: Output) -> str:
    return output.stderr.getvalue()  # type: ignore[attr-defined]


def test_plain_streams_text_and_ends_with_a_newline() -> None:
    output = buffers()
    result = PlainRenderer(output).render(conversation())
    assert out(output) == "Hello there\n"
    assert (result.answer, result.usage, result.notices) == ("Hello there", USAGE,
                                                            ["input truncated"])
    assert err(output) == "lamp: warning: input truncated\n"


def test_plain_adds_a_newline_only_where_one_is_missing() -> None:
    for events, shown in [([TextDelta("done\n")], "done\n"), ([], ""),
                          ([TextDelta("a"), TextDelta("")], "a\n")]:
        output = buffers()
        PlainRenderer(output).render(events)
        assert out(output) == shown


def test_plain_ends_the_line_even_when_the_run_fails() -> None:
    def failing() -> Iterator[Event]:
        yield TextDelta("half")
        raise RuntimeError("model died")

    output = buffers()
    with pytest.raises(RuntimeError, match="model died"):
        PlainRenderer(output).render(failing())
    assert out(output) == "half\n"


def test_a_warning_is_said_once_per_command() -> None:
    output = buffers()
    said: set[str] = set()
    for _ in range(2):
        PlainRenderer(output, said=said).render([Notice("no Landlock")])
    assert err(output) == "lamp: warning: no Landlock\n"


def test_a_notice_quoting_model_text_shows_terminal_controls_instead_of_obeying_them() -> None:
    # A restated problem or a program's value may carry what a hostile input planted.
    output = buffers()
    PlainRenderer(output, verbose=True).render([
        Notice("restated in English: 7 boxes\r\x1b[2Kall fine", level="info"),
        Notice("value \u202eevil", level="warning")])
    assert err(output) == ("lamp: warning: restated in English: 7 boxes\\r\\x1b[2Kall fine\n"
                           "lamp: warning: value \\u202eevil\n")


def test_other_notices_only_with_verbose() -> None:
    events = [Notice("prefix cache: hit", level="debug")]
    output = buffers()
    PlainRenderer(output).render(events)
    assert err(output) == ""
    PlainRenderer(output, verbose=True).render(events)
    assert err(output) == "lamp: warning: prefix cache: hit\n"
    quiet = buffers()
    PlainRenderer(quiet, verbose=True, quiet=True).render([*events, Notice("no Landlock")])
    assert err(quiet) == ""


def test_the_routers_leans_show_only_with_verbose() -> None:
    events = [Routed(True, (0.97, 0.62), 0.4), Routed(False)]  # the second: no chances
    output = buffers()
    PlainRenderer(output).render(events)
    assert err(output) == ""
    PlainRenderer(output, verbose=True).render(events)
    assert err(output) == "lamp: warning: router: leaned toward a tool by 0.97, 0.62\n"


def test_warnings_go_to_the_outputs_stderr_not_the_process(capsys) -> None:
    output = buffers()
    PlainRenderer(output).render(conversation())
    assert capsys.readouterr() == ("", "")
    assert err(output) == "lamp: warning: input truncated\n"


def test_a_tool_run_shows_only_its_answer_on_a_pipe() -> None:
    output = buffers()
    renderer = PlainRenderer(output, stream=False)
    result = renderer.render([ToolCall("calculator", {"expression": "6*7"}),
                              Observation("calculator", "42"), FinalAnswer("42\n")])
    renderer.finish(result.answer)
    assert out(output) == "42\n" and err(output) == ""


def test_programs_go_to_stderr_with_show_code() -> None:
    output = buffers()
    PlainRenderer(output, stream=False, show_code=True).render(
        [CodeRun("print(1)", "1", "", 0), CodeRun("boom()", "", "NameError: boom", 1)])
    assert out(output) == ""
    assert err(output) == ("--- program (ok) ---\nprint(1)\n--- output ---\n1\n"
                           "--- program (failed) ---\nboom()\n"
                           "--- error ---\nNameError: boom\n")


def test_render_returns_the_runs_own_result_folded_and_finished() -> None:
    def parse(result: RunResult) -> None:
        result.answer = int(result.answer)

    run = Run(iter([TextDelta("7"), FinalAnswer("7")]), RunResult(template="t"), finish=parse)
    output = buffers()
    result = PlainRenderer(output).render(run)
    assert result is run.result
    assert (result.answer, result.text, result.template) == (7, "7", "t")
    assert out(output) == "7\n"


def test_a_run_at_its_step_limit_renders_then_shows_its_partial_answer() -> None:
    def stopping() -> Iterator[Event]:
        yield ToolCall("calculator", {"expression": "6*7"})
        raise StepLimitReached("stopped after 1 steps", partial_answer="42 (from calculator)")

    output = buffers()
    renderer = PlainRenderer(output, stream=False)
    result = renderer.render(Run(stopping()))
    assert result.stopped == "step limit"
    renderer.partial(str(result.answer))
    assert out(output) == "42 (from calculator)\n"


def test_rich_draws_steps_in_panels_and_the_answer_as_markdown() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=60, color_system=None)
    renderer = RichRenderer(buffers(), console=console, stream=False)
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
    renderer = RichRenderer(buffers(), console=console, stream=False)
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
    renderer = RichRenderer(buffers(), console=console, stream=False)
    renderer.finish("안녕하세요 👩\u200d💻 done\x1b[2J\rgone\u202e")
    shown = buffer.getvalue()
    assert "안녕하세요 👩\u200d💻 done" in shown
    assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown
    assert "\\x1b[2J\\rgone\\u202e" in shown


def test_rich_streams_markdown() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=60, color_system=None)
    output = buffers()
    result = RichRenderer(output, console=console, quiet=True).render(conversation())
    assert "Hello there" in buffer.getvalue()
    assert result.answer == "Hello there" and err(output) == ""  # quiet: no warning


def test_rich_without_a_console_draws_on_the_outputs_terminal_at_its_width(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")  # Rich takes 80 columns on a dumb terminal
    output = buffers(terminal=True, width=30)
    console = console_for(output)
    assert console.file is output.stdout and console.is_terminal and console.width == 30
    assert console_for(output, stderr=True).file is output.stderr
    assert not console_for(output, stderr=True).is_terminal  # stderr is not a terminal here
    renderer = RichRenderer(output, stream=False)
    renderer.finish("**bold** " + "word " * 20)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", out(output))  # styles, where TERM has colours
    lines = shown.rstrip("\n").split("\n")
    assert len(lines) > 1 and "**" not in shown and shown.startswith("bold word")
    assert all(len(line) <= 30 for line in lines)


def test_renderer_for_picks_json_then_the_terminal_then_plain() -> None:
    said: set[str] = set()
    picked = renderer_for(buffers(terminal=True), json_out=True, said=said)
    assert isinstance(picked, JsonRenderer) and picked.said is said
    rich = renderer_for(buffers(terminal=True), verbose=True, said=said)
    assert isinstance(rich, RichRenderer) and rich.verbose and rich.said is said
    plain = renderer_for(buffers(), stream=False, quiet=True)
    assert type(plain) is PlainRenderer and not plain.stream and plain.quiet


def test_json_collects_and_emits_one_object() -> None:
    output = buffers()
    renderer = JsonRenderer(output)
    result = renderer.render(conversation())
    assert out(output) == ""  # nothing while the run goes on
    assert err(output) == "lamp: warning: input truncated\n"  # warnings still said
    renderer.emit({"answer": result.answer, "warnings": result.notices})
    assert json.loads(out(output)) == {"answer": "Hello there",
                                       "warnings": ["input truncated"]}
    renderer.partial("never printed")
    assert out(output).count("\n") == 1


def test_json_emits_the_results_one_shape() -> None:
    output = buffers()
    renderer = JsonRenderer(output)
    result = renderer.render(Run(iter(conversation()), RunResult(model={"backend": "x"})))
    renderer.emit_result(result)
    emitted = json.loads(out(output))
    assert emitted == json.loads(json.dumps(result_json(result)))
    assert emitted["usage"] == {"prompt_tokens": 3, "completion_tokens": 2,
                                "finish_reason": "stop"}
    assert (emitted["answer"], emitted["warnings"]) == ("Hello there", ["input truncated"])
