"""``lamp cmd``: the drafter of shell commands, set up as the user's settings ask.

What happens to a proposal (print it, ask at the terminal, run it, refuse a
flagged one) is the CLI's, because it depends on who is at the other end; how
commands are drafted is decided here: for the target shell and OS, greedy and
with a token cap unless the user chose a temperature or a cap, with the user's
system prompt added to lamp's own when they chose one, and each draft reviewed
against the request in the caller's directory before it is shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .requests import CmdRequest

if TYPE_CHECKING:
    from lamp.agent.shell.drafter import CommandDrafter

    from .runtime import Runtime

__all__ = ["drafter_for"]


def drafter_for(request: CmdRequest, rt: Runtime) -> CommandDrafter:
    from lamp.agent.shell.drafter import CommandDrafter

    chosen = rt.chosen
    return CommandDrafter(rt.model(), rt.sampling(), request.target,
                          greedy="temperature" not in chosen,
                          cap_tokens="max_tokens" not in chosen,
                          extra_system=rt.settings.system if "system" in chosen else "",
                          cwd=rt.caller.cwd)
