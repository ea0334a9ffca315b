"""`lamp chat` for a whole day, the terminal's side: the CLI answers the turns /retry and
/continue make, /copy reaches the clipboard (a tool, else OSC 52), and the real CLI with the
real default model under a pseudo-terminal uses every new command, in English and Korean."""

from __future__ import annotations

import base64
import io
import json
import os
import sys
from pathlib import Path

import pytest
from scripted_cli import invoke

from lamp.agent.app.output import Output
from lamp.agent.models import ScriptedBackend
from lamp.cli.chat import osc52, terminal_copier

pexpect = pytest.importorskip("pexpect")
PROMPT = ">>> "

_SCRIPT = """
import json, sys
from lamp.agent.models import ScriptedBackend
from lamp.cli.main import execute
from lamp.cli.runtime import Preloaded

replies, *argv = sys.argv[1:]
sys.exit(execute(["chat", *argv],
                 model_source=Preloaded(ScriptedBackend().enqueue(*json.loads(replies)))))
"""


def test_osc52_asks_the_terminal_to_copy() -> None:
    assert osc52("héllo") == "\x1b]52;c;" + base64.b64encode("héllo".encode()).decode() + "\x07"


def test_copier_prefers_a_clipboard_tool_then_the_terminal() -> None:
    terminal = Output(stdout=io.StringIO(), stderr=io.StringIO(), stdout_terminal=True)
    assert terminal_copier(terminal, {}, copy=lambda text: "xclip")("x") == "with xclip"
    assert terminal.stdout.getvalue() == ""  # type: ignore[attr-defined]
    how = terminal_copier(terminal, {}, copy=lambda text: None)("x")
    assert how is not None and "OSC 52" in how
    assert terminal.stdout.getvalue() == osc52("x")  # type: ignore[attr-defined]
    pipe = Output(stdout=io.StringIO(), stderr=io.StringIO())
    assert terminal_copier(pipe, {}, copy=lambda text: None)("x") is None
    assert pipe.stdout.getvalue() == ""  # type: ignore[attr-defined]


def test_copier_finds_no_tool_on_an_empty_path(tmp_path: Path) -> None:
    pipe = Output(stdout=io.StringIO(), stderr=io.StringIO())
    env = {"PATH": str(tmp_path), "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}
    assert terminal_copier(pipe, env)("x") is None


def test_retry_continue_and_undo_on_a_pipe(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    backend = ScriptedBackend().enqueue("Blue.", "Green.", "one two three four", "four")
    stdin = (b"Name a colour.\n/retry 0\n/set max_tokens 3\nCount to four.\n/continue\n"
             b"/save --json day.json\n/undo\n/stats\n/bogus\n")
    code, out, err = invoke(monkeypatch, capsys, "chat", "--no-memory", stdin=stdin,
                            backend=backend)
    assert code == 0, err
    assert err == ""
    assert out.startswith(">>> Blue.\n>>> Green.\n>>> (max_tokens 3)\n>>> one two three\n"
                          ">>> four\n>>> (saved 4 messages as JSON to day.json)\n"
                          ">>> (removed: “Count to four.” and its answer “one two three four”)\n"
                          ">>> last answer: none yet\ncontext: ")
    assert ">>> unknown command /bogus; /help lists them\n>>> " in out
    saved = json.loads((tmp_path / "day.json").read_text(encoding="utf-8"))
    assert [m["content"] for m in saved["messages"][1:]] == [
        "Name a colour.", "Green.", "Count to four.", "one two three four"]
    assert backend.requests[1][1].temperature == 0.0
    assert not backend.replies


def test_copy_on_a_terminal_without_a_clipboard_tool(tmp_path: Path) -> None:
    """A scripted model under a real pseudo-terminal: no clipboard tool on PATH, so /copy
    asks the terminal (OSC 52)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"TERM": "xterm-256color", "PATH": str(tmp_path)}
    child = pexpect.spawn(sys.executable, ["-c", _SCRIPT, json.dumps(["Use `ls`:\n\n```sh\n"
                                                                     "ls -la\n```"]),
                                           "--no-memory"],
                          cwd=str(tmp_path), env=env, timeout=30, dimensions=(24, 100),
                          encoding="utf-8")
    try:
        child.expect_exact(PROMPT)
        child.sendline("How do I list files?")
        child.expect_exact("Use ")  # the answer, in colour
        child.expect_exact(PROMPT)
        child.sendline("/copy code")
        child.expect_exact(osc52("ls -la"))
        child.expect_exact("(copied its last code block, 6 characters, through the terminal")
        child.expect_exact(PROMPT)
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


@pytest.mark.integration
def test_a_day_of_chat_in_a_real_terminal(default_model: Path, lamp_home: Path,
                                          tmp_path: Path) -> None:
    """Every new command with the real model, small answers, greedy decoding."""
    script = Path(sys.executable).parent / "lamp"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40",
            "PATH": str(script.parent)}  # no clipboard tool: /copy falls back to OSC 52
    child = pexpect.spawn(str(script), ["chat", "--temperature", "0", "--max-tokens", "48",
                                        "--session", "day1"],
                          cwd=str(tmp_path), env=env, timeout=180, dimensions=(40, 100),
                          encoding="utf-8")

    def say(line: str, *expected: str) -> None:
        child.sendline(line)
        for text in expected:
            child.expect_exact(text)
        child.expect_exact(PROMPT)

    try:
        child.expect_exact(PROMPT)
        say("What is the capital of France? Answer in one word.", "Paris")
        say("/retry", "Paris")
        say("/set temperature 0", "(temperature 0.0)")
        say("/set max_tokens 8", "(max_tokens 8)")
        say("Write a long poem about the sea.")
        say("/stats", "last answer: ", "cut off at max_tokens", "context: ",
            "memory: on, session day1", "tools: off")
        say("/continue")
        say("/copy", "\x1b]52;c;", "(copied the last answer")
        say("/save --json day.json", "(saved 4 messages as JSON to day.json)")
        say("/save --json day.json", "day.json exists; '/save! day.json' replaces it")
        say("/undo", "(removed: “Write a long poem about the sea.”",
            "also taken out of session day1's memory")
        say("/save chat.md", "(saved 2 messages as Markdown to chat.md)")
        say("/session", "session day1")
        say("/sessions", "* day1  turns=")
        say("/set max_tokens 48", "(max_tokens 48)")
        say("한국의 수도는 어디인가요? 한 단어로 답하세요.", "서울")
        say("/set top_p 7", "top_p must be in (0, 1]")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    saved = json.loads((tmp_path / "day.json").read_text(encoding="utf-8"))
    roles = [m["role"] for m in saved["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant"]  # continued: one
    poem = saved["messages"][-1]["content"]
    assert len(poem.split()) > 4 and "Continue your last answer" not in json.dumps(saved)
    markdown = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert "Paris" in markdown and "poem" not in markdown
