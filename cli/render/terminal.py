"""Rich on a terminal: a conversation as live Markdown, a tool run as its steps, then the answer.

A conversation shows a spinner until the first token, then re-renders the
Markdown as it grows (Rich ``Live``). A tool run shows each step as it happens
(thought dimmed, action and observation in panels, long observations collapsed
unless ``--verbose``) with no ``Live``: a tool that asks for approval writes to
the terminal too. Rich is imported only here, so piped calls never pay for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lamp.agent.app.output import Output
from lamp.agent.app.result import Run, RunResult
from lamp.agent.events import Event, Observation, TextDelta, ToolCall
from lamp.agent.visible_text import visible

from ._base import Renderer

__all__ = ["RichRenderer", "console_for"]


@dataclass
class RichRenderer(Renderer):
    console: Any = None  # rich.console.Console; None: one on the Output's stdout

    def _console(self) -> Any:
        if self.console is None:
            self.console = console_for(self.output)
        return self.console

    def render(self, events: Run | Iterable[Event]) -> RunResult:
        run = Run.of(events)
        if not self.stream:
            return self._steps(run)
        from rich.live import Live
        from rich.markdown import Markdown
        from rich.spinner import Spinner

        text = ""
        waiting = Spinner("dots", text="thinking…", style="dim") if not self.quiet else ""
        with Live(waiting, console=self._console(), refresh_per_second=8,
                  transient=False) as live:
            for event in run:
                self.show(event)
                if isinstance(event, TextDelta):
                    text += event.text
                    live.update(Markdown(_answer(text)))
            live.update(Markdown(_answer(text)) if text else "")
        return run.result

    def _steps(self, run: Run) -> RunResult:
        for event in run:
            self.show(event)
            if isinstance(event, (ToolCall, Observation)) and not self.quiet:
                _show_step(self._console(), event, self.verbose)
        return run.result

    def finish(self, answer: str) -> None:
        from rich.markdown import Markdown

        self._console().print(Markdown(_answer(answer)))


def console_for(output: Output, *, stderr: bool = False) -> Any:
    """A Rich console on the Output's stdout (or stderr), a terminal exactly when the
    Output says so, at its width."""
    from rich.console import Console

    return Console(file=output.stderr if stderr else output.stdout,
                   force_terminal=output.stderr_terminal if stderr else output.stdout_terminal,
                   width=output.width)


# What an answer may not send to the terminal as itself: C0 controls but tab and newline,
# DEL, C1, and the bidi embeddings, overrides and isolates (which reorder what follows).
_ANSWER_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _answer(text: str) -> str:
    """An answer as Markdown may show it: the model may repeat escape sequences from a
    document, so those few characters become visible escapes; everything else (Hangul,
    emoji with their joiners) is left as written."""
    return _ANSWER_HIDDEN.sub(lambda m: visible(m.group()), text)


def _shown(text: str) -> str:
    """Model-written or tool-written ``text`` as it may reach a terminal: a document a tool
    read can hold escape sequences that would repaint the screen (or an approval prompt
    printed after it), so every control and bidi character is shown as its escape."""
    return "\n".join(visible(line.expandtabs(8)) for line in text.split("\n"))


def _show_step(console: Any, event: ToolCall | Observation, verbose: bool) -> None:
    from rich.panel import Panel
    from rich.text import Text

    if isinstance(event, ToolCall):
        if event.thought:
            console.print(Text(_shown(event.thought), style="dim italic"))
        body = json.dumps(event.input, ensure_ascii=False, indent=None if not verbose else 2)
        console.print(Panel(Text(_shown(body)), title=Text(f"action: {_shown(event.tool)}"),
                            title_align="left", border_style="cyan", expand=False))
        return
    # split at "\n" only: splitlines() would also break at "\r" and hide what it erases
    lines = [_shown(line) for line in event.output.rstrip("\n").split("\n")]
    shown = lines if verbose or len(lines) <= 6 else [*lines[:6],
                                                      f"… {len(lines) - 6} more lines "
                                                      "(--verbose shows all)"]
    console.print(Panel(Text("\n".join(shown)), title=f"observation ({event.seconds:.2f}s)",
                        title_align="left", expand=False,
                        border_style="red" if event.is_error else "green"))
