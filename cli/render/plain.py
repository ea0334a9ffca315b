"""Plain text for pipes and scripts: no escape codes, no spinner, always a final newline.

A conversation streams its text as it comes. A tool or PAL run shows only its
answer, at the end; with ``show_code`` each program PAL ran (and its output or
error) goes to stderr, so stdout stays the answer alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass

from lamp.agent.events import CodeRun, Event, TextDelta

from ._base import Renderer, RenderResult

__all__ = ["PlainRenderer"]


@dataclass
class PlainRenderer(Renderer):
    show_code: bool = False

    def render(self, events: Iterable[Event]) -> RenderResult:
        result, last = RenderResult(), "\n"
        self.result = result
        try:
            for event in events:
                self.absorb(event, result)
                if isinstance(event, TextDelta) and self.stream:
                    self.out.write(event.text)
                    self.out.flush()
                    last = event.text[-1:] or last
                elif isinstance(event, CodeRun) and self.show_code:
                    _show_code(event)
        finally:
            if last != "\n":
                self.out.write("\n")
                self.out.flush()
        return result

    def finish(self, answer: str) -> None:
        self.out.write(answer.rstrip("\n") + "\n")
        self.out.flush()


def _show_code(run: CodeRun) -> None:
    sys.stderr.write(f"--- program ({'ok' if run.exit_code == 0 else 'failed'}) ---\n"
                     f"{run.code}\n")
    if run.stdout:
        sys.stderr.write(f"--- output ---\n{run.stdout}\n")
    if run.exit_code != 0:
        sys.stderr.write(f"--- error ---\n{run.stderr.strip()[-800:]}\n")
