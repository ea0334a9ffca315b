"""Renderers: Rich Markdown on a terminal, plain text on a pipe, one JSON object for scripts.

Renderers only render. They consume the agent's events and return what the
caller needs afterwards (the answer and usage). Rich is imported only by the
terminal renderer, so piped one-shot calls never pay for it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from lamp.agent.events import Event, FinalAnswer, Notice, TextDelta, Usage

__all__ = ["JsonRenderer", "PlainRenderer", "RenderResult", "RichRenderer", "warn", "warn_once"]


def warn(message: str) -> None:
    sys.stderr.write(f"lamp: warning: {message}\n")
    sys.stderr.flush()


_warned: set[str] = set()


def warn_once(message: str) -> None:
    """A warning about the machine (a sandbox weaker than strict) is said once per process,
    however many runs of a chat or programs of a PAL vote meet it."""
    if message not in _warned:
        _warned.add(message)
        warn(message)


@dataclass
class RenderResult:
    answer: str = ""
    usage: Usage | None = None
    notices: list[str] = field(default_factory=list)


def _absorb(event: Event, result: RenderResult, quiet: bool) -> None:
    if isinstance(event, Usage):
        result.usage = event
    elif isinstance(event, FinalAnswer):
        result.answer = event.text
    elif isinstance(event, Notice):
        result.notices.append(event.message)
        if not quiet:
            warn(event.message)


@dataclass
class PlainRenderer:
    """Text as it streams, no escape codes; always ends with a newline."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    quiet: bool = False

    def render(self, events: Iterable[Event]) -> RenderResult:
        result, last = RenderResult(), "\n"
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    self.out.write(event.text)
                    self.out.flush()
                    last = event.text[-1:] or last
                else:
                    _absorb(event, result, self.quiet)
        finally:
            if last != "\n":
                self.out.write("\n")
                self.out.flush()
        return result


@dataclass
class RichRenderer:
    """Live-updating Markdown with a spinner until the first token arrives."""

    console: Any = None  # rich.console.Console
    quiet: bool = False

    def render(self, events: Iterable[Event]) -> RenderResult:
        from rich.live import Live
        from rich.markdown import Markdown
        from rich.spinner import Spinner

        console = self.console
        if console is None:
            from rich.console import Console

            console = Console()
        result, text = RenderResult(), ""
        waiting = Spinner("dots", text="thinking…", style="dim") if not self.quiet else ""
        with Live(waiting, console=console, refresh_per_second=8, transient=False) as live:
            for event in events:
                if isinstance(event, TextDelta):
                    text += event.text
                    live.update(Markdown(text))
                else:
                    _absorb(event, result, self.quiet)
            live.update(Markdown(text) if text else "")
        return result


@dataclass
class JsonRenderer:
    """Collects everything and prints one JSON object at the end."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)

    def render(self, events: Iterable[Event]) -> RenderResult:
        result = RenderResult()
        for event in events:
            if not isinstance(event, TextDelta):
                _absorb(event, result, quiet=False)
        return result

    def emit(self, payload: dict[str, Any]) -> None:
        self.out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        self.out.flush()
