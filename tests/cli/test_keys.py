"""The one-key menu reader on a real pseudo-terminal pair (os.openpty): a key acts without
Enter, keys typed before the menu are discarded, Hangul jamo count as the key under them,
and the line discipline is restored; without a terminal a line is read instead."""

from __future__ import annotations

import io
import os
import termios
import threading

import pytest

from lamp.agent.app.output import Output
from lamp.cli.keys import key_of, read_key


@pytest.mark.parametrize(("char", "key"), [("d", "d"), ("D", "d"), ("ㅇ", "d"), ("ㄷ", "e"),
                                           ("ㅁ", "a"), ("\x04", "a"), ("\r", None),
                                           ("x", None), ("ㅋ", None), ("", None)])
def test_key_of(char: str, key: str | None) -> None:
    assert key_of(char, "erdca") == key


def _terminal() -> tuple[int, int, Output]:
    leader, follower = os.openpty()
    stdin = os.fdopen(os.dup(follower), "r", encoding="utf-8", closefd=True)
    output = Output(stdout=io.StringIO(), stderr=io.StringIO(), stdin=stdin,
                    stdin_terminal=True, stdout_terminal=True)
    return leader, follower, output


def test_one_key_without_enter_after_typeahead_is_dropped() -> None:
    leader, follower, output = _terminal()
    try:
        before = termios.tcgetattr(follower)
        os.write(leader, b"e")  # typed before the menu appeared: must not execute
        threading.Timer(0.3, os.write, (leader, "zㅇ".encode())).start()
        assert read_key(output, "menu? ", keys="erdca") == "d"
        assert output.stderr.getvalue() == "menu? d\n"
        assert termios.tcgetattr(follower) == before  # canonical mode and echo are back
    finally:
        output.stdin.close()
        os.close(leader)
        os.close(follower)


def test_end_of_input_is_eof() -> None:
    leader, follower, output = _terminal()
    try:
        threading.Timer(0.2, os.write, (leader, b"\x04")).start()
        assert read_key(output, "menu? ", keys="erdca") == "a"  # Ctrl-D: the abort key
    finally:
        output.stdin.close()
        os.close(leader)
        os.close(follower)


def test_without_a_terminal_a_line_is_read() -> None:
    output = Output(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO("dx\n"))
    assert read_key(output, "menu? ", keys="erdca", read_line=lambda: "dx") == "d"
    with pytest.raises(EOFError):
        read_key(output, "menu? ", keys="erdca")
