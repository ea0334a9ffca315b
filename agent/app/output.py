"""Where one run's text goes, and what it lands on: the caller's streams, looked at once.

Whether stdout is a terminal decides Markdown or plain text, a spinner or
silence, indented JSON or one line. That used to be asked of ``sys.stdout`` in a
dozen places, which tied every run to the process's own streams: `lamp serve`
had to swap them (with the environment and the working directory) for each
forwarded call. An ``Output`` is built once per command line, by whoever runs it
(the console entry, serve for a caller on its socket, a test), and handed down;
nothing below asks ``isatty`` again.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

__all__ = ["Caller", "Output", "StdinText"]


@dataclass(frozen=True)
class StdinText:
    """Piped stdin as text (None: nothing was piped), with what decoding it cost."""

    text: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Output:
    """The three streams of one command line and whether each is a terminal.

    ``width`` is the terminal's (None: let Rich ask the stream). The ``*_terminal``
    flags are facts about the caller, decided once by ``of_process`` or by whoever
    builds the Output for somebody else's streams (serve's forwarded calls).
    """

    stdout: IO[str]
    stderr: IO[str]
    stdin: IO[str] | None = None
    stdout_terminal: bool = False
    stderr_terminal: bool = False
    stdin_terminal: bool = False
    width: int | None = None

    @classmethod
    def of_process(cls) -> Output:
        """This process's own streams: the only place lamp asks ``isatty``."""
        return cls(stdout=sys.stdout, stderr=sys.stderr, stdin=sys.stdin,
                   stdout_terminal=_is_terminal(sys.stdout),
                   stderr_terminal=_is_terminal(sys.stderr),
                   stdin_terminal=_is_terminal(sys.stdin))

    @property
    def interactive(self) -> bool:
        """A person at a terminal on both ends (chat's readline, approval prompts)."""
        return self.stdin_terminal and self.stdout_terminal

    def warn(self, message: str) -> None:
        self.stderr.write(f"lamp: warning: {message}\n")
        self.stderr.flush()

    def error(self, message: str) -> None:
        self.stderr.write(f"lamp: error: {message}\n")
        self.stderr.flush()

    def note(self, message: str) -> None:
        """A line for the person (``lamp: ...``), not a warning."""
        self.stderr.write(f"lamp: {message}\n")
        self.stderr.flush()

    def write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def read_stdin(self) -> StdinText:
        """Piped stdin, read whole as bytes and decoded as UTF-8 with replacement, so a
        stray Latin-1 byte costs a warning, not the input. A terminal is not read."""
        from lamp.agent.errors import InputError

        stream = self.stdin
        if stream is None or self.stdin_terminal:
            return StdinText(None)
        try:
            raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
        except OSError as exc:
            raise InputError(f"cannot read stdin: {exc.strerror}") from exc
        if not raw:
            return StdinText(None)
        try:
            return StdinText(raw.decode("utf-8"))
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            bad = text.count("\ufffd")
            return StdinText(text, (f"stdin is not valid UTF-8; {bad} undecodable byte "
                                    "sequence(s) replaced",))


@dataclass(frozen=True)
class Caller:
    """Who a command line runs for: their Output, environment and working directory.

    The console entry describes its own process; `lamp serve` describes the client on
    its socket, so a forwarded call reads the client's ``LAMP_*`` settings and
    resolves the client's relative paths without touching process-wide state.
    """

    output: Output
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)

    @classmethod
    def of_process(cls) -> Caller:
        return cls(Output.of_process(), dict(os.environ), Path.cwd())

    def path(self, given: str | os.PathLike[str]) -> Path:
        """A path the caller typed, resolved against the caller's working directory (and
        ``~`` against the caller's HOME)."""
        text = os.fspath(given)
        home = self.env.get("HOME")
        if text == "~" or text.startswith("~/"):
            return Path(home) / text[2:] if home else Path(text).expanduser()
        return self.cwd / text

    def shown(self, path: str | os.PathLike[str]) -> str:
        """A path as the caller would write it: relative to their cwd when inside it."""
        try:
            rel = os.path.relpath(os.fspath(path), self.cwd)
        except ValueError:  # another drive on Windows
            return os.fspath(path)
        outside = rel == os.pardir or rel.startswith(os.pardir + os.sep)
        return os.fspath(path) if outside else rel


def _is_terminal(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed stream
        return False
