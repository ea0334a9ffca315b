"""The approval prompt on a real pseudo-terminal (pexpect), with a scripted model that
asks for a shell command an attacker wrote: the terminal must show what would run.

The model is scripted (``ScriptedBackend``) so each test knows the exact call; lamp
itself, its approver and its shell tool are the real ones, in a child process.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from lamp.agent.tools import ApprovalRequest
from lamp.cli.approval import TerminalApprover, prompt_lines

pexpect = pytest.importorskip("pexpect")

_SCRIPT = """
import json, sys
from lamp.agent.models import ScriptedBackend
from lamp.cli.main import execute
from lamp.cli.runtime import Preloaded

command, *argv = sys.argv[1:]
call = "<tool_call>\\n" + json.dumps({"name": "shell", "arguments": {"command": command}}) \\
    + "\\n</tool_call>"
backend = ScriptedBackend().enqueue(call, *["Done."] * 4)
sys.exit(execute(["ask", "--no-memory", "--tools", "shell", "--allow", "shell", "--route", "off",
                  "--tool-format", "native", *argv, "tidy up"], model_source=Preloaded(backend)))
"""
ERASE = "rm -r ./victim \r\x1b[2Kls -la"  # raw, the terminal would show only "ls -la"
REVERSE, NORMAL = "\x1b[7m", "\x1b[27m"


def _spawn(tmp_path: Path, command: str, *argv: str):
    return pexpect.spawn(sys.executable, ["-c", _SCRIPT, command, *argv], cwd=str(tmp_path),
                         env={**os.environ, "TERM": "xterm-256color", "NO_COLOR": ""},
                         timeout=30, dimensions=(40, 120), encoding="utf-8")


def _prompt(child) -> str:
    """Everything lamp wrote from its question to ``Run it?``, as the terminal got it."""
    child.expect_exact("lamp wants to run the shell tool")
    child.expect(r"Run it\?[^\[]*\[y/N\] ")
    return child.before


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "keep.txt").write_text("keep")
    return tmp_path / "victim"


def test_escapes_in_a_command_are_shown_not_obeyed(tmp_path: Path, victim: Path) -> None:
    child = _spawn(tmp_path, ERASE)
    try:
        shown = _prompt(child)
        # The dangerous part, then the escapes spelled out in reverse video, then the rest.
        assert f"rm -r ./victim {REVERSE}\\r\\x1b{NORMAL}[2Kls -la" in shown, repr(shown)
        assert "\x1b[2K" not in shown  # no raw erase-line reached the terminal
        assert "\r" not in shown.replace("\r\n", "\n")  # no bare carriage return either
        assert "warning: this command deletes directories recursively" in shown
        assert victim.is_dir()  # nothing ran before the answer
        child.sendline("n")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert (victim / "keep.txt").exists()


@pytest.mark.parametrize("command", [
    "rm -r ./victim \u202e# al- sl",  # a right-to-left override hiding the order
    "rm -r ./victim\u200b\u2066 \u2069",
    "rm -r ./victim \x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08\x08echo hello",
])
def test_bidi_and_backspace_tricks_are_spelled_out(tmp_path: Path, victim: Path,
                                                   command: str) -> None:
    child = _spawn(tmp_path, command)
    try:
        shown = _prompt(child)
        assert "rm -r ./victim" in shown
        for char in ("\u202e", "\u200b", "\u2066", "\u2069", "\x08"):
            assert char not in shown
        assert any(code in shown for code in ("\\u202e", "\\u200b", "\\x08"))
        child.sendline("n")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert victim.is_dir()


def test_a_command_cannot_hide_after_many_blank_lines(tmp_path: Path, victim: Path) -> None:
    child = _spawn(tmp_path, "rm -r ./victim" + "\n" * 200 + "echo tidy")
    try:
        shown = _prompt(child)
        lines = [line for line in shown.replace("\r\n", "\n").split("\n") if "│" in line]
        assert len(lines) == 3, lines
        assert "rm -r ./victim" in lines[0] and "[199 blank lines]" in lines[1]
        assert "echo tidy" in lines[2]
        assert "(201 lines above)" in child.after
        child.sendline("n")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert victim.is_dir()


def test_approve_all_still_asks_about_a_flagged_command_at_a_terminal(
        tmp_path: Path, victim: Path) -> None:
    child = _spawn(tmp_path, "rm -r ./victim", "--approve", "all")
    try:
        shown = _prompt(child)
        assert "deletes directories recursively" in shown and victim.is_dir()
        child.sendline("y")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert not victim.exists()  # the person said yes


def _no_terminal(tmp_path: Path, command: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _SCRIPT, command, *argv], cwd=tmp_path,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          start_new_session=True, timeout=60)  # no controlling terminal


def test_without_a_terminal_approve_all_refuses_flagged_commands(tmp_path: Path,
                                                                 victim: Path) -> None:
    proc = _no_terminal(tmp_path, "rm -r ./victim", "--approve", "all")
    assert proc.returncode == 0, proc.stderr
    assert victim.is_dir() and (victim / "keep.txt").exists()
    (line,) = [x for x in proc.stderr.splitlines() if "refused shell" in x]
    assert "needs a terminal, even with --approve all" in line
    # an unflagged command runs under --approve all, as before
    proc = _no_terminal(tmp_path, "echo made > made.txt", "--approve", "all")
    assert proc.returncode == 0 and (tmp_path / "made.txt").read_text() == "made\n"


def test_without_a_terminal_and_without_approve_all_nothing_runs(tmp_path: Path) -> None:
    proc = _no_terminal(tmp_path, "echo made > made.txt")
    assert proc.returncode == 0 and not (tmp_path / "made.txt").exists()
    assert "--approve all runs such calls without asking" in proc.stderr


def test_every_field_of_the_prompt_is_made_visible() -> None:
    tool = SimpleNamespace(name="notes.wr\x1b[8mite")  # an MCP SERVER.TOOL name
    request = ApprovalRequest(tool, {}, "reason\r\x1b[2K", ("a risk\u202eevil",),  # type: ignore[arg-type]
                              "line one\x1b]0;t\x07\nline two")
    text = "\n".join(prompt_lines(request, styled=False))
    assert not any(c in text for c in "\x1b\r\x07\u202e")
    for part in ("notes.wr\\x1b[8mite", "reason\\r\\x1b[2K", "a risk\\u202eevil",
                 "  │ line one\\x1b]0;t\\x07", "  │ line two", "(2 lines above)"):
        assert part in text


def test_the_answer_is_read_from_the_terminal_not_stdin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real pty pair: the approver writes its prompt there and reads the answer there."""
    monkeypatch.setenv("NO_COLOR", "1")  # plain escapes, no reverse video
    monkeypatch.setenv("TERM", "xterm")
    leader, follower = os.openpty()
    try:
        os.write(leader, b"y\n")
        approve = TerminalApprover("ask", tty=os.ttyname(follower), err=io.StringIO())
        request = ApprovalRequest(SimpleNamespace(name="shell"), {}, "why",  # type: ignore[arg-type]
                                  (), "ls \u202e")
        assert approve(request) is True
        echoed = _read_until(leader, "[y/N] ")
        assert "ls \\u202e" in echoed and "\u202e" not in echoed
        # first undoes whatever earlier raw output (concealed text, line drawing) left on
        assert echoed.index("\x1b[0m\x1b(B\x0f") < echoed.index("lamp wants")
        assert "\x1b[7m" not in echoed
    finally:
        os.close(leader)
        os.close(follower)


def _read_until(fd: int, end: str, timeout: float = 10.0) -> str:
    import select
    import time

    got, deadline = b"", time.monotonic() + timeout
    while end.encode() not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            got += os.read(fd, 4096)
    return got.decode()


def test_no_terminal_refuses_with_one_stderr_line(tmp_path: Path) -> None:
    err = io.StringIO()
    approve = TerminalApprover("all", tty=str(tmp_path / "no-such-tty"), err=err)
    flagged = ApprovalRequest(SimpleNamespace(name="shell"), {}, "why",  # type: ignore[arg-type]
                              ("this command deletes\x1b[2K",), "rm -r x\r")
    assert approve(flagged) is False
    assert err.getvalue().count("\n") == 1 and "\x1b" not in err.getvalue()
    plain = ApprovalRequest(SimpleNamespace(name="shell"), {}, "why", (), "ls")  # type: ignore[arg-type]
    assert approve(plain) is True

