"""Output and Caller: the caller's streams, looked at once, and paths as the caller sees them."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from lamp.agent.app.output import Caller, Output, StdinText


class _Stream(io.StringIO):
    """A text stream that says whether it is a terminal, as the test decides."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


class _Unread(io.StringIO):
    """A stdin that fails the test when read."""

    def read(self, *args: object) -> str:
        raise AssertionError("a terminal's stdin must not be read")


def output(stdin: io.IOBase | None = None, **flags: bool) -> Output:
    return Output(stdout=io.StringIO(), stderr=io.StringIO(), stdin=stdin, **flags)  # type: ignore[arg-type]


def test_piped_bytes_that_are_not_utf8_are_replaced_and_cost_a_warning() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9 cr\xe8me \xc3\xa9t\xc3\xa9"))
    got = output(stdin).read_stdin()
    assert got.text == "caf\ufffd cr\ufffdme été"
    assert got.warnings == ("stdin is not valid UTF-8; 2 undecodable byte sequence(s) "
                            "replaced",)


def test_piped_utf8_is_read_whole_without_warnings() -> None:
    stdin = io.TextIOWrapper(io.BytesIO("이 영화 최고예요\nline two\n".encode()))
    assert output(stdin).read_stdin() == StdinText("이 영화 최고예요\nline two\n")


def test_a_text_only_stdin_is_read_too() -> None:
    """A stream without a byte buffer (a caller's own StringIO) is read as text."""
    assert output(io.StringIO("plain text")).read_stdin() == StdinText("plain text")


@pytest.mark.parametrize("stdin", [None, io.TextIOWrapper(io.BytesIO(b""))])
def test_no_stdin_and_an_empty_pipe_are_nothing_piped(stdin: io.IOBase | None) -> None:
    assert output(stdin).read_stdin() == StdinText(None)


def test_a_terminal_stdin_is_not_read() -> None:
    """At a terminal, reading would wait for the person to type Ctrl-D."""
    assert output(_Unread("typed"), stdin_terminal=True).read_stdin() == StdinText(None)


def test_lines_for_the_person_go_to_the_callers_stderr() -> None:
    out = output()
    out.warn("no Landlock")
    out.error("bad flag")
    out.note("session s1")
    out.write("the answer\n")
    assert out.stderr.getvalue() == ("lamp: warning: no Landlock\nlamp: error: bad flag\n"
                                     "lamp: session s1\n")
    assert out.stdout.getvalue() == "the answer\n"


def test_interactive_needs_a_terminal_on_both_ends() -> None:
    assert output(stdin_terminal=True, stdout_terminal=True).interactive
    assert not output(stdin_terminal=True).interactive
    assert not output(stdout_terminal=True).interactive


@pytest.mark.parametrize(("out", "err", "inp"), [(True, False, True), (False, True, False)])
def test_of_process_asks_each_of_its_own_streams(monkeypatch: pytest.MonkeyPatch, out: bool,
                                                 err: bool, inp: bool) -> None:
    streams = _Stream(out), _Stream(err), _Stream(inp)
    for name, stream in zip(("stdout", "stderr", "stdin"), streams, strict=True):
        monkeypatch.setattr(sys, name, stream)
    made = Output.of_process()
    assert (made.stdout, made.stderr, made.stdin) == streams
    assert (made.stdout_terminal, made.stderr_terminal, made.stdin_terminal) == (out, err, inp)
    assert made.width is None


def test_of_process_takes_a_closed_or_missing_stream_for_no_terminal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    closed = io.StringIO()
    closed.close()  # isatty() on a closed stream raises ValueError
    monkeypatch.setattr(sys, "stdout", closed)
    monkeypatch.setattr(sys, "stdin", None)
    made = Output.of_process()
    assert not made.stdout_terminal and not made.stdin_terminal


@pytest.fixture
def two_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The client's working directory and the (different) one this process runs in."""
    theirs, ours = tmp_path / "client", tmp_path / "server"
    theirs.mkdir()
    ours.mkdir()
    monkeypatch.chdir(ours)
    return theirs, ours


def test_caller_paths_start_at_the_callers_cwd_not_the_process(
        two_places: tuple[Path, Path]) -> None:
    theirs, _ = two_places
    caller = Caller(output(), {}, theirs)
    assert caller.path("notes/a.txt") == theirs / "notes" / "a.txt"
    assert caller.path(theirs / "b.txt") == theirs / "b.txt"
    assert caller.path("~/c.txt") == Path(os.path.expanduser("~/c.txt"))
    assert Caller(output(), {"HOME": "/home/them"}, theirs).path("~/c.txt") \
        == Path("/home/them/c.txt")
    assert caller.shown(theirs / "..notes.txt") == "..notes.txt"


def test_caller_shows_paths_inside_its_cwd_relative_and_others_whole(
        tmp_path: Path, two_places: tuple[Path, Path]) -> None:
    theirs, ours = two_places
    caller = Caller(output(), {}, theirs)
    assert caller.shown(theirs / "notes" / "a.txt") == os.path.join("notes", "a.txt")
    assert caller.shown(ours / "a.txt") == str(ours / "a.txt")
    assert caller.shown(tmp_path / "elsewhere.txt") == str(tmp_path / "elsewhere.txt")


def test_caller_of_process_is_this_process(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAMP_TEST_MARK", "here")
    caller = Caller.of_process()
    assert caller.cwd == tmp_path and caller.env["LAMP_TEST_MARK"] == "here"
    os.environ["LAMP_TEST_MARK"] = "later"  # a copy: later changes do not leak in
    assert caller.env["LAMP_TEST_MARK"] == "here"
