"""`lamp cmd` at a terminal: show the proposal, then execute / revise / describe / copy / abort.

Everything the loop touches outside itself is handed in (the console it draws
on, how a choice is read, how a command runs, how text is copied, where a
warning goes), so its tests drive it with scripted answers and a fake runner,
and the pty test only has to check that a real terminal sees the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lamp.agent.events import TextDelta
from lamp.agent.shell.drafter import CommandDrafter, Proposal
from lamp.agent.shell.risk import Risk, assess

from .errors import Aborted
from .shell_env import Copier, Runner

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["CHOICES", "CommandSession", "risk_line"]

Ask = Callable[[str], str]
"""Shows a prompt and returns the line typed (EOFError: the terminal closed)."""

CHOICES = "[e]xecute  [r]evise  [d]escribe  [c]opy  [a]bort? "
KEYS = "erdca"  # the menu's keys; the last one aborts
_LEXERS = {"fish": "fish", "pwsh": "powershell", "powershell": "powershell", "cmd": "batch",
           "nu": "nu"}


def risk_line(risks: tuple[Risk, ...]) -> str | None:
    """The one warning line for a flagged command (None: nothing flagged)."""
    if not risks:
        return None
    return "this command " + "; ".join(r.reason for r in risks) + ": check it before running"


@dataclass
class CommandSession:
    """One proposal's life on a terminal; ``run`` returns lamp's exit status. ``cwd``: the
    caller's working directory, where the risk rules look and the command runs."""

    drafter: CommandDrafter
    console: Console
    ask: Ask
    runner: Runner
    copy: Copier
    warn: Callable[[str], None]
    cwd: Path
    choose: Ask | None = None  # reads the menu's key (None: ``ask``, a line)

    def show(self, proposal: Proposal) -> None:
        from rich.syntax import Syntax

        from lamp.agent.visible_text import visible

        lexer = _LEXERS.get(self.drafter.target.shell, "bash")
        # Escapes, bidi and zero-width characters shown as escapes: what is shown is what runs.
        self.console.print(Syntax(visible(proposal.command), lexer, theme="ansi_dark",
                                  background_color="default", word_wrap=True))
        line = risk_line(assess(proposal.command, self.cwd, shell=self.drafter.target.shell,
                                request=self.drafter.request))
        if line:
            self.warn(line)

    def run(self, proposal: Proposal) -> int:
        self.show(proposal)
        choose = self.choose or self.ask
        while True:
            try:
                choice = choose(CHOICES).strip().lower()[:1]
            except EOFError:
                choice = "a"
            if choice == "e":
                return self.runner(proposal.command, self.drafter.target, self.cwd)
            if choice == "a":
                raise Aborted("aborted: nothing ran")
            if choice == "c":
                return self._copy(proposal.command)
            if choice == "d":
                self._describe(proposal.command)
            elif choice == "r":
                proposal = self._revise(proposal)

    def _revise(self, proposal: Proposal) -> Proposal:
        try:
            correction = self.ask("what should change? ").strip()
        except EOFError:
            correction = ""
        if not correction:
            return proposal
        with self.console.status("thinking…", spinner="dots"):
            proposal = self.drafter.revise(correction)
        self.show(proposal)
        return proposal

    def _describe(self, command: str) -> None:
        """The explanation as Markdown, redrawn as it streams (it is shown on a terminal,
        never piped: the menu only runs at one)."""
        from rich.live import Live
        from rich.markdown import Markdown
        from rich.spinner import Spinner

        text = ""
        with Live(Spinner("dots", text="explaining…", style="dim"), console=self.console,
                  refresh_per_second=8) as live:
            for event in self.drafter.describe(command):
                if isinstance(event, TextDelta):
                    text += event.text
                    live.update(Markdown(text))
            live.update(Markdown(text) if text.strip() else "")

    def _copy(self, command: str) -> int:
        tool = self.copy(command)
        if tool:
            self.console.print(f"copied to the clipboard ({tool})", markup=False,
                               highlight=False)
        else:
            self.warn("no clipboard tool found (wl-copy, xclip, xsel, pbcopy, clip.exe); "
                      "here is the command:")
            self.console.print(command, markup=False, highlight=False, soft_wrap=True)
        return 0
