"""Plain text for pipes and scripts: no escape codes, no spinner, always a final newline.

A conversation streams its text as it comes. A tool or PAL run shows only its
answer, at the end; with ``show_code`` each program PAL ran (and its output or
error) goes to stderr, so stdout stays the answer alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lamp.agent.app.result import Run, RunResult
from lamp.agent.events import CodeRun, Event, TextDelta

from ._base import Renderer

__all__ = ["PlainRenderer"]


@dataclass
class PlainRenderer(Renderer):
    show_code: bool = False

    def render(self, events: Run | Iterable[Event]) -> RunResult:
        run = Run.of(events)
        last = "\n"
        try:
            for event in run:
                self.show(event)
                if isinstance(event, TextDelta) and self.stream:
                    self.out.write(event.text)
                    self.out.flush()
                    last = event.text[-1:] or last
                elif isinstance(event, CodeRun) and self.show_code:
                    self._show_code(event)
        finally:
            if last != "\n":
                self.out.write("\n")
                self.out.flush()
        return run.result

    def finish(self, answer: str) -> None:
        self.out.write(answer.rstrip("\n") + "\n")
        self.out.flush()

    def _show_code(self, run: CodeRun) -> None:
        err = self.output.stderr
        err.write(f"--- program ({'ok' if run.exit_code == 0 else 'failed'}) ---\n"
                  f"{run.code}\n")
        if run.stdout:
            err.write(f"--- output ---\n{run.stdout}\n")
        if run.exit_code != 0:
            err.write(f"--- error ---\n{run.stderr.strip()[-800:]}\n")
        err.flush()
