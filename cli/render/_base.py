"""What every renderer shares: the result of a run, and what is said on stderr.

A renderer consumes the agent's events and shows them one way. Bookkeeping is
the same for all of them: the answer, the usage, and the warnings met (for
``--json``). So is the rule for notices: a warning (about the input, or about
this machine, like a sandbox weaker than strict) is said once per command,
however many runs or programs meet it; other notices (prefix cache, retries)
only with ``--verbose``. ``--quiet`` silences both.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from lamp.agent.events import Event, FinalAnswer, Notice, TextDelta, Usage
from lamp.agent.records import Record

__all__ = ["RenderResult", "Renderer", "jsonable", "warn"]


def warn(message: str) -> None:
    sys.stderr.write(f"lamp: warning: {message}\n")
    sys.stderr.flush()


def print_json(payload: Any, *, indent: int | None = None, ensure_ascii: bool = False,
               out: IO[str] | None = None) -> None:
    """Every ``--json`` object lamp prints goes through here (typed records as dicts)."""
    out = out if out is not None else sys.stdout
    out.write(json.dumps(payload, ensure_ascii=ensure_ascii, indent=indent, default=jsonable)
              + "\n")
    out.flush()


def jsonable(value: Any) -> Any:
    """``json.dumps``'s fallback: typed records become their JSON dicts, the rest text."""
    return value.to_dict() if isinstance(value, Record) else str(value)


@dataclass
class RenderResult:
    answer: str = ""  # the final answer's text
    text: str = ""  # the streamed text (the answer itself, or PAL's explanation)
    usage: Usage | None = None
    final: FinalAnswer | None = None
    notices: list[str] = field(default_factory=list)  # the warnings met, once each


@dataclass
class Renderer:
    """Base of the family. ``stream``: text is shown as it arrives (a conversation);
    otherwise the run's steps are shown and the answer once, by ``finish``.
    ``said`` is shared by the renderers of one command (the Runtime holds it)."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    quiet: bool = False
    verbose: bool = False
    stream: bool = True
    said: set[str] = field(default_factory=set)
    # The run being rendered: still readable when the run ends in an exception
    # (a step limit), for the partial answer and the warnings met so far.
    result: RenderResult = field(default_factory=RenderResult, init=False)

    def render(self, events: Iterable[Event]) -> RenderResult:
        result = self.result = RenderResult()
        for event in events:
            self.absorb(event, result)
        return result

    def finish(self, answer: str) -> None:
        """Show the answer of a run that did not stream it (tools, PAL)."""

    def partial(self, answer: str) -> None:
        """The best answer of a run that stopped at its step limit, as plain text."""
        if answer:
            self.out.write(answer.rstrip() + "\n")
            self.out.flush()

    def absorb(self, event: Event, result: RenderResult) -> None:
        """Record what the caller needs afterwards; say notices by the one rule."""
        if isinstance(event, TextDelta):
            result.text += event.text
        elif isinstance(event, Usage):
            result.usage = event
        elif isinstance(event, FinalAnswer):
            result.final, result.answer = event, event.text
        elif isinstance(event, Notice):
            self.notice(event, result)

    def notice(self, event: Notice, result: RenderResult) -> None:
        if event.level == "warning":
            if event.message not in result.notices:
                result.notices.append(event.message)
            if not self.quiet and event.message not in self.said:
                self.said.add(event.message)
                warn(event.message)
        elif self.verbose and not self.quiet:
            warn(event.message)

    def emit(self, payload: dict[str, Any]) -> None:
        """Print one JSON object (``--json``), typed records as their dicts."""
        print_json(payload, out=self.out)
