"""Asking before a tool changes things: on the terminal, or not at all.

Approval is read from the controlling terminal (/dev/tty), not stdin, so
`cat notes | lamp ask --tools shell ...` still asks the person at the keyboard.
With no terminal (a pipe in a script, CI), nothing is run unless the caller
said `--approve all`; the model gets a clear refusal as its observation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["make_approver"]

Approver = Callable[[Any, dict[str, Any]], bool]


def _ask_on_tty(tool: Any, args: dict[str, Any]) -> bool:
    try:  # a terminal is not seekable, so read and write through separate handles
        tty_in = open("/dev/tty", encoding="utf-8", errors="replace")  # noqa: SIM115
        tty_out = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115
    except OSError:
        return False  # no terminal: refuse
    with tty_in, tty_out:
        preview = tool.preview(args) if hasattr(tool, "preview") else json.dumps(args)
        tty_out.write(f"\nlamp wants to run the {tool.name} tool:\n")
        for line in preview.splitlines() or [""]:
            tty_out.write(f"  │ {line}\n")
        tty_out.write("Run it? [y/N] ")
        tty_out.flush()
        answer = tty_in.readline().strip().lower()
    return answer in {"y", "yes"}


def make_approver(policy: str) -> Approver:
    """``all``: approve everything (scripts that trust their tools); ``ask``: the terminal."""
    if policy == "all":
        return lambda tool, args: True
    return _ask_on_tty
