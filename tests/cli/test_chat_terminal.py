"""`lamp chat` under a real pseudo-terminal (pexpect): typing, slash commands, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from lamp.agent.conversation import Conversation
from lamp.agent.models import Sampling, ScriptedBackend
from lamp.cli.chat import ChatSession, _read_message

pexpect = pytest.importorskip("pexpect")
PROMPT = ">>> "


def test_slash_commands_without_a_terminal() -> None:
    said: list[str] = []
    conv = Conversation(ScriptedBackend(), Sampling(), system="old")
    conv.history.append(conv.history.__class__)  # anything: /reset must clear it
    session = ChatSession(conv, say=said.append)
    assert session.handle_command("/help") and "/reset" in said[-1]
    assert session.handle_command("/reset") and conv.history == []
    assert session.handle_command("/system") and said[-1] == "old"
    assert session.handle_command("/system be a pirate") and conv.system == "be a pirate"
    assert session.handle_command("/bogus") and "unknown command" in said[-1]
    assert session.handle_command("/exit") is False


def test_multi_line_input_forms() -> None:
    lines = iter(["first \\", "second"])
    assert _read_message(lambda _: next(lines)) == "first \nsecond"
    block = iter(['"""', "a", "", "b", '"""'])
    assert _read_message(lambda _: next(block)) == "a\n\nb"


@pytest.mark.integration
def test_chat_in_a_real_terminal(default_model: Path, lamp_home: Path) -> None:
    script = Path(sys.executable).parent / "lamp"
    child = pexpect.spawn(
        str(script), ["chat", "--temperature", "0", "--max-tokens", "300"],
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "40"},
        timeout=60, dimensions=(40, 100),
    )
    try:
        child.expect_exact(PROMPT)
        child.sendline("What is the capital of France? Answer in one word.")
        child.expect("Paris")
        child.expect_exact(PROMPT)

        child.sendline("/help")
        child.expect_exact("/reset")
        child.expect_exact(PROMPT)

        # Multi-line input with a trailing backslash.
        child.sendline("What is 2 + \\")
        child.expect_exact("... ")
        child.sendline("3? Reply with just the number.")
        child.expect("5")
        child.expect_exact(PROMPT)

        # Ctrl-C stops the answer but not the chat.
        child.sendline("Write a long story about a dragon who learns to bake bread.")
        # Wait until lamp has taken the line and is working on it: the echo alone is not
        # enough (a Ctrl-C that lands while the line editor still holds the line is the
        # line editor's, not the answer's).
        child.expect_exact("bake bread.")
        child.expect_exact("thinking")
        time.sleep(0.3)
        child.sendintr()
        child.expect_exact("(answer stopped)")
        child.expect_exact(PROMPT)

        child.sendline("/reset")
        child.expect_exact("(conversation cleared)")
        child.expect_exact(PROMPT)

        # /tools switches to the agent: the calculator's exact result comes back.
        child.sendline("/tools calculator")
        child.expect_exact("(tools on: calculator")
        child.expect_exact(PROMPT)
        child.sendline("What is 123456789 * 987654321? Use the calculator.")
        child.expect_exact("action: calculator")
        child.expect_exact("121932631112635269")
        child.expect_exact(PROMPT)

        child.sendeof()  # Ctrl-D leaves
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert (lamp_home / "data" / "chat_history").read_text().count("capital of France") == 1


def test_tools_command_validates_and_toggles() -> None:
    said: list[str] = []
    session = ChatSession(Conversation(ScriptedBackend(), Sampling()), say=said.append)
    assert session.handle_command("/tools") and "off" in said[-1] and "calculator" in said[-1]
    session.handle_command("/tools python,teleport")
    assert session.tools is None and "teleport" in said[-1]
    session.handle_command("/tools calculator")
    assert session.tools == "calculator"
    session.handle_command("/tools off")
    assert session.tools is None
