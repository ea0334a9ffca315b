"""What every renderer shares: the Output it writes to, and the rule for notices.

A renderer shows a run's events one way; what the run produced is folded by
the run itself (lamp.agent.app.result), never here. The rule for notices is the
same for all renderers: a warning (about the input, or about this machine, like
a sandbox weaker than strict) is said once per command, however many runs or
programs meet it; other notices (prefix cache, retries) only with ``--verbose``.
``--quiet`` silences both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from lamp.agent.app.output import Output
from lamp.agent.app.result import Run, RunResult
from lamp.agent.events import Event, Notice, Routed
from lamp.agent.records import Record
from lamp.agent.visible_text import visible

__all__ = ["Renderer", "jsonable", "print_json"]


def print_json(payload: Any, out: IO[str], *, indent: int | None = None,
               ensure_ascii: bool = False) -> None:
    """Every ``--json`` object lamp prints goes through here (typed records as dicts), on
    ``out``: the caller's stdout."""
    out.write(json.dumps(payload, ensure_ascii=ensure_ascii, indent=indent, default=jsonable)
              + "\n")
    out.flush()


def jsonable(value: Any) -> Any:
    """``json.dumps``'s fallback: typed records become their JSON dicts, the rest text."""
    return value.to_dict() if isinstance(value, Record) else str(value)


@dataclass
class Renderer:
    """Base of the family. ``stream``: text is shown as it arrives (a conversation);
    otherwise the run's steps are shown and the answer once, by ``finish``.
    ``said`` is shared by the renderers of one command (the Runtime holds it)."""

    output: Output
    quiet: bool = False
    verbose: bool = False
    stream: bool = True
    said: set[str] = field(default_factory=set)

    @property
    def out(self) -> IO[str]:
        return self.output.stdout

    def render(self, events: Run | Iterable[Event]) -> RunResult:
        """Show the run's events as they come; its result once they are all in."""
        run = Run.of(events)
        for event in run:
            self.show(event)
        return run.result

    def show(self, event: Event) -> None:
        if isinstance(event, Notice):
            self.notice(event)
        elif isinstance(event, Routed) and event.leans:
            self.notice(Notice("router: leaned toward a tool by "
                               + ", ".join(f"{lean:.2f}" for lean in event.leans),
                               level="debug"))

    def finish(self, answer: str) -> None:
        """Show the answer of a run that did not stream it (tools, PAL)."""

    def partial(self, answer: str) -> None:
        """The best answer of a run that stopped at its step limit, as plain text."""
        if answer:
            self.out.write(answer.rstrip() + "\n")
            self.out.flush()

    def notice(self, event: Notice) -> None:
        # A notice may quote what a model or a program wrote (a restated problem, a
        # program's value): terminal controls in it are shown, not obeyed.
        message = visible(event.message)
        if event.level == "warning":
            if not self.quiet and event.message not in self.said:
                self.said.add(event.message)
                self.output.warn(message)
        elif self.verbose and not self.quiet:
            self.output.warn(message)

    def emit(self, payload: dict[str, Any]) -> None:
        """Print one JSON object (``--json``), typed records as their dicts."""
        print_json(payload, self.out)
