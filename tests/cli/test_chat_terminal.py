"""`lamp chat`: the chat's commands and turns on a scripted model (lamp.agent.app.chat), the
CLI's multi-line input, and the real CLI under a pseudo-terminal (pexpect): typing, slash
commands, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lamp.agent.app.chat import Chat
from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.output import Caller, Output
from lamp.agent.app.runtime import Preloaded, Runtime
from lamp.agent.models import Message, ScriptedBackend
from lamp.cli.chat import _read_message
from lamp.memory.errors import MemoryInputError

pexpect = pytest.importorskip("pexpect")
PROMPT = ">>> "
CALC_CALL = ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n'
             "</tool_call>")


@dataclass
class Held:
    chat: Chat
    backend: ScriptedBackend
    said: list[str] = field(default_factory=list)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Held]:
    """A chat with memory off on a scripted model, for a caller in ``tmp_path`` whose
    system prompt is "old"; what its commands say is collected."""
    backend = ScriptedBackend()
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({"system": "old"}, Caller(output, dict(os.environ), tmp_path),
                 model_source=Preloaded(backend))
    said: list[str] = []
    chat = Chat.start(rt, MemoryChoice(disabled=True), said.append)
    yield Held(chat, backend, said)
    chat.close()
    rt.close()


def user_messages(backend: ScriptedBackend) -> list[str]:
    messages, _, _ = backend.requests[-1]
    return [m.content for m in messages if m.role == "user"]


def test_slash_commands_without_a_terminal(held: Held) -> None:
    chat, said = held.chat, held.said
    held.backend.enqueue("Hi!")
    chat.answer(chat.next_turn("hello")).consume()
    assert [m.role for m in chat.conversation.history] == ["user", "assistant"]
    assert chat.banner == "memory off"
    assert chat.command("/help") and "/reset" in said[-1]
    assert chat.command("/reset") and chat.conversation.history == []
    assert said[-1] == "(conversation cleared)"
    assert chat.command("/system") and said[-1] == "old"
    assert chat.command("/system be a pirate") and chat.conversation.system == "be a pirate"
    assert chat.command("/bogus") and "unknown command /bogus" in said[-1]
    assert chat.command("/HELP") and "/reset" in said[-1]
    assert not chat.command("/exit")
    assert not chat.command("/quit") and not chat.command("/q")


def test_turns_are_answered_within_one_conversation(held: Held) -> None:
    chat = held.chat
    held.backend.enqueue("Hello Ada.", "Your name is Ada.")
    first = chat.answer(chat.next_turn("My name is Ada."))
    assert first.consume().answer == "Hello Ada."
    second = chat.answer(chat.next_turn("What is my name?"))
    assert second.consume().answer == "Your name is Ada."
    assert user_messages(held.backend) == ["My name is Ada.", "What is my name?"]
    messages, _, _ = held.backend.requests[-1]
    assert messages[0] == Message("system", "old")


def test_multi_line_input_forms() -> None:
    lines = iter(["first \\", "second"])
    assert _read_message(lambda _: next(lines)) == "first \nsecond"
    block = iter(['"""', "a", "", "b", '"""'])
    assert _read_message(lambda _: next(block)) == "a\n\nb"


def test_tools_command_validates_and_toggles(held: Held) -> None:
    chat, said = held.chat, held.said
    assert chat.command("/tools") and "off" in said[-1] and "calculator" in said[-1]
    chat.command("/tools python,teleport")
    assert chat.tools is None and "teleport" in said[-1]
    chat.command("/tools calculator")
    assert chat.tools == "calculator" and said[-1].startswith("(tools on: calculator")
    turn = chat.next_turn("What is 6*7?")
    assert turn.tools is not None and turn.tools.tools == "calculator"
    chat.command("/tools off")
    assert chat.tools is None and chat.next_turn("hi").tools is None


def test_a_tool_turn_joins_the_history_as_a_plain_exchange(held: Held) -> None:
    chat = held.chat
    chat.command("/tools calculator")
    turn = chat.next_turn("What is 6*7?")
    held.backend.enqueue("tool", "yes", CALC_CALL, "42")  # routed: the preset's choice
    run = chat.answer(turn)
    result = run.consume()
    assert result.answer == "42" and result.details["tools"] == ["calculator"]
    assert chat.conversation.history == []  # not until the turn settles
    chat.settle(turn, run)
    assert chat.conversation.history == [Message("user", "What is 6*7?"),
                                         Message("assistant", "42")]


def test_a_tool_turn_that_failed_settles_with_an_empty_answer(held: Held) -> None:
    chat = held.chat
    chat.command("/tools calculator")
    turn = chat.next_turn("What is 6*7?")
    chat.settle(turn, None)  # it failed before a run began
    assert chat.conversation.history == [Message("user", "What is 6*7?"),
                                         Message("assistant", "")]


def test_a_plain_turn_settles_as_it_was_answered(held: Held) -> None:
    chat = held.chat
    held.backend.enqueue("Hi!")
    turn = chat.next_turn("hello")
    run = chat.answer(turn)
    run.consume()
    chat.settle(turn, run)  # the conversation recorded it itself: not twice
    assert [m.role for m in chat.conversation.history] == ["user", "assistant"]


def test_attached_files_go_with_the_next_message_only(held: Held, tmp_path: Path) -> None:
    chat, said = held.chat, held.said
    (tmp_path / "notes.txt").write_text("The ledger is green.\n", encoding="utf-8")
    assert chat.command("/attach notes.txt")  # relative to the caller's cwd
    assert said[-1] == "(attached notes.txt; they go with your next message)"
    chat.command("/attach")
    assert said[-1] == "attached for the next message: notes.txt"
    chat.command("/attach missing.txt")
    assert "missing.txt" in said[-1] and [a.name for a in chat.attachments] == ["notes.txt"]
    held.backend.enqueue("Green.", "Nothing attached.")
    chat.answer(chat.next_turn("What colour is the ledger?")).consume()
    first = user_messages(held.backend)[-1]
    assert first.startswith("File: notes.txt\n") and "The ledger is green." in first
    assert chat.attachments == []
    chat.answer(chat.next_turn("And now?")).consume()
    assert user_messages(held.backend)[-1] == "And now?"


def test_docs_command_toggles_grounded_turns(held: Held) -> None:
    chat, said = held.chat, held.said
    chat.command("/docs harbour")
    assert said[-1].startswith("(answering from documents: harbour")
    turn = chat.next_turn("Which ledger?")
    assert (turn.docs, turn.collection) == (True, "harbour")
    with pytest.raises(MemoryInputError, match="no documents ingested yet"):
        chat.answer(turn)
    assert held.backend.requests == []
    chat.command("/docs off")
    assert said[-1] == "(documents off)"
    assert (chat.next_turn("x").docs, chat.collection) == (False, None)


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
