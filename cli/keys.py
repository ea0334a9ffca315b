"""One keypress at a terminal: a menu that acts on the key, not on a line.

`lamp cmd`'s ``[e]xecute [r]evise [d]escribe [c]opy [a]bort?`` used to read a line,
so ``d`` did nothing until Enter and ``d`` then ``a`` left ``da`` on the line.
Here the terminal is put in cbreak mode (no line editing, no echo; Ctrl-C still
interrupts: it is read as a key and raised as KeyboardInterrupt, so it works even
in a process started with SIGINT ignored) for the one read and restored on every
way out: a key, Ctrl-C, an error. Keys typed before the menu was shown are
discarded first, so a key meant for an earlier question never chooses
``execute`` for a command the person has not seen yet.

A Korean keyboard layout sends Hangul jamo for the same physical keys (``d`` is
``ㅇ`` in 두벌식), so those count as the Latin key under them. Enter, blanks and
keys that are not on the menu are ignored; Ctrl-D counts as the menu's abort key.
Where the caller's stdin is no terminal this process can switch (a forwarded
`lamp serve` call, a test's pipe), the menu reads a line as before.
"""

from __future__ import annotations

import contextlib
import os
import select
from collections.abc import Callable, Iterator

from lamp.agent.app.output import Output

__all__ = ["HANGUL_KEYS", "key_of", "read_key"]

# 두벌식 (the standard Korean layout): the jamo each Latin key types.
HANGUL_KEYS: dict[str, str] = {
    "ㅂ": "q", "ㅈ": "w", "ㄷ": "e", "ㄱ": "r", "ㅅ": "t", "ㅛ": "y", "ㅕ": "u", "ㅑ": "i",
    "ㅐ": "o", "ㅔ": "p", "ㅁ": "a", "ㄴ": "s", "ㅇ": "d", "ㄹ": "f", "ㅎ": "g", "ㅗ": "h",
    "ㅓ": "j", "ㅏ": "k", "ㅣ": "l", "ㅋ": "z", "ㅌ": "x", "ㅊ": "c", "ㅍ": "v", "ㅠ": "b",
    "ㅜ": "n", "ㅡ": "m",
}
_CTRL_C, _CTRL_D = "\x03", "\x04"


def key_of(char: str, keys: str) -> str | None:
    """The menu key ``char`` stands for (None: not on the menu). ``keys``: the menu's keys,
    lower case, the last one the abort key that Ctrl-D also means."""
    if char == _CTRL_D:
        return keys[-1]
    key = HANGUL_KEYS.get(char, char).lower()
    return key if len(key) == 1 and key in keys else None


def read_key(output: Output, prompt: str, *, keys: str,
             read_line: Callable[[], str] | None = None) -> str:
    """Show ``prompt`` on stderr and return the first key typed that is on the menu
    ``keys`` (which it echoes). Without a switchable terminal, ``read_line`` reads a line
    instead and its first character counts; EOFError when the input is closed."""
    fd = _terminal_fd(output)
    if fd is None:
        if read_line is None:
            raise EOFError
        line = read_line().strip()
        return key_of(line[:1], keys) or line[:1].lower()
    with _cbreak(fd):
        output.stderr.write(prompt)
        output.stderr.flush()
        while True:
            char = _read_char(fd)
            if char == "":
                raise EOFError
            if char == _CTRL_C:  # read as a key: works even where SIGINT is ignored
                raise KeyboardInterrupt
            key = key_of(char, keys)
            if key is not None:
                output.stderr.write(key + "\n")
                output.stderr.flush()
                return key


def _terminal_fd(output: Output) -> int | None:
    """The descriptor of the caller's stdin when this process can put it in cbreak mode."""
    if not output.stdin_terminal or output.stdin is None:
        return None
    try:
        import termios
    except ImportError:  # Windows
        return None
    try:
        fd = output.stdin.fileno()
        termios.tcgetattr(fd)
    except (termios.error, AttributeError, OSError, ValueError):
        return None
    return fd


@contextlib.contextmanager
def _cbreak(fd: int) -> Iterator[None]:
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        # Ctrl-C arrives as a key, not a signal: a process started with SIGINT ignored
        # (some job runners do that) would otherwise wait here for ever.
        attrs = termios.tcgetattr(fd)
        attrs[3] &= ~termios.ISIG
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        termios.tcflush(fd, termios.TCIFLUSH)  # typed-ahead keys choose nothing
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_char(fd: int) -> str:
    """One character (UTF-8) from ``fd``; an escape sequence (arrow keys) is read whole and
    returned as ESC; "" at end of input."""
    first = os.read(fd, 1)
    if not first:
        return ""
    lead = first[0]
    if lead == 0x1B:
        while select.select([fd], [], [], 0.03)[0]:
            if not os.read(fd, 16):
                break
        return "\x1b"
    more = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
    data = first
    while more:
        got = os.read(fd, more)
        if not got:
            break
        data, more = data + got, more - len(got)
    return data.decode("utf-8", errors="replace")
