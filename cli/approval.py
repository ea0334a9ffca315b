"""Asking before a tool call runs: on the terminal, or not at all.

Approval is read from the controlling terminal (/dev/tty), not stdin, so
`cat notes | lamp ask --tools shell ...` still asks the person at the keyboard.
With no terminal (a pipe in a script, CI), nothing is run unless the caller
said `--approve all`; the model gets a clear refusal as its observation.

Everything shown at the prompt is model-written and may be an attacker's: the
tool name, the reason, the command, the warnings are all printed through
``lamp.agent.visible_text``, so an escape sequence, a carriage return or a bidi
override shows as ``\\x1b``, ``\\r``, ``\\u202e`` (in reverse video) instead of
acting on the terminal, and a multi-line command shows every line.

A *flagged* call (one with risks: a shell command ``lamp cmd`` would warn about,
a file that may hold secrets) is never approved unseen: under ``--approve all``
it is still asked about at a terminal, and with no terminal it is refused, the
rule ``lamp cmd --yes`` follows without ``--force``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from lamp.agent.tools.base import (
    APPROVE_ALL,
    POLICY,
    USER_APPROVED,
    USER_REFUSED,
    ApprovalRequest,
    DecidingApprover,
    Decision,
)
from lamp.agent.visible_text import visible, visible_lines

if TYPE_CHECKING:
    from lamp.agent.app.output import Output

__all__ = ["TerminalApprover", "make_approver", "prompt_lines"]

_REVERSE, _NORMAL = "\x1b[7m", "\x1b[27m"
_WARN, _RESET = "\x1b[1;33m", "\x1b[0m"
# Undo what earlier raw output (a model's thought, a file's text) may have left switched
# on: concealed or coloured text (SGR), a line-drawing character set (G0, shift-out).
_SANE = "\x1b[0m\x1b(B\x0f"


def prompt_lines(request: ApprovalRequest, *, styled: bool) -> list[str]:
    """The approval prompt for ``request``, one string per terminal line, with every
    model-written part made visible (styled: escapes in reverse video, warnings bold)."""
    mark = (lambda s: f"{_REVERSE}{s}{_NORMAL}") if styled else None
    lines = [f"lamp wants to run the {visible(request.tool.name, mark)} tool "
             f"({visible(request.reason, mark)}):"]
    shown = visible_lines(request.preview, mark)
    lines += [f"  │ {line}" for line in shown]
    for risk in request.risks:
        text = f"  ! warning: {visible(risk, mark)}"
        lines.append(f"{_WARN}{text}{_RESET}" if styled else text)
    count = len(request.preview.split("\n"))
    more = f" ({count} lines above)" if count > 1 else ""
    lines.append(f"Run it?{more} [y/N] ")
    return lines


@dataclass(frozen=True)
class TerminalApprover(DecidingApprover):
    """``policy`` ``ask``: every call that needs approval asks on the terminal;
    ``all``: calls run unasked, except flagged ones, which ask. No terminal: refused,
    with one line on ``err`` (the caller's stderr) saying so. The prompt's styling follows
    this process's ``TERM``/``NO_COLOR``: ``tty`` is this process's controlling terminal."""

    policy: str = "ask"
    tty: str = "/dev/tty"
    err: TextIO = field(kw_only=True)

    def decide(self, request: ApprovalRequest) -> Decision:
        """Yes or no, and who said it: ``--approve all``, the person, or (no terminal)
        lamp's rule."""
        if self.policy == "all" and not request.flagged:
            return Decision(True, APPROVE_ALL)
        answer = self._ask(request)
        if answer is None:
            self._refused(request)
            return Decision(False, POLICY)
        return Decision(answer, USER_APPROVED if answer else USER_REFUSED)

    def _ask(self, request: ApprovalRequest) -> bool | None:
        """True or False as the person answered; None when there is no terminal."""
        try:  # a terminal is not seekable, so read and write through separate handles
            tty_in = open(self.tty, encoding="utf-8", errors="replace")  # noqa: SIM115
            tty_out = open(self.tty, "w", encoding="utf-8")  # noqa: SIM115
        except OSError:
            return None
        with tty_in, tty_out:
            term = os.environ.get("TERM", "")
            styled = os.environ.get("NO_COLOR", "") == "" and term not in ("", "dumb")
            lines = prompt_lines(request, styled=styled)
            sane = _SANE if term != "dumb" else ""
            tty_out.write(sane + "\n" + "\n".join(lines[:-1]) + "\n" + lines[-1])
            tty_out.flush()
            answer = tty_in.readline().strip().lower()
        return answer in {"y", "yes"}

    def _refused(self, request: ApprovalRequest) -> None:
        err = self.err
        preview = visible(request.preview)
        if len(preview) > 160:
            preview = preview[:160] + "..."
        why = "; ".join(visible(r) for r in request.risks) if request.risks else \
            visible(request.reason)
        rule = ("a flagged call needs a terminal, even with --approve all" if request.flagged
                else "--approve all runs such calls without asking")
        err.write(f"lamp: warning: refused {visible(request.tool.name)} ({preview}): {why}; "
                  f"no terminal to ask ({rule})\n")
        err.flush()


def make_approver(policy: str, output: Output) -> TerminalApprover:
    """``all``: approve what lamp does not flag (scripts that trust their tools), ask about
    the rest; ``ask``: ask about every call that needs approval, on the terminal. A
    refusal is said on ``output``'s stderr."""
    return TerminalApprover("all" if policy == "all" else "ask", err=output.stderr)
