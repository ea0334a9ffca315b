"""`lamp cmd`: a request in words becomes one shell command to check, revise, explain or run.

Where it runs decides what happens. At a terminal (stdin and stdout both ttys)
the proposal is shown and nothing runs until the person says so. Anywhere else
(a pipe, a key binding, ``--print``) only the command is printed. Running
without a terminal takes ``--yes``, and a command the risk rules flag also
takes ``--force``: a script should not be one model mistake away from
``rm -r``. Every flagged command is refused that way, including one the rules
could not read (``agent/shell/risk.py``): one line on stderr, exit 2, nothing run.
No session memory is read or written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import read_line, with_model_options
from .shell_env import Copier, Runner, copy_to_clipboard, run_in_shell

if TYPE_CHECKING:
    from rich.console import Console

    from lamp.agent.app.output import Caller
    from lamp.agent.app.runlog import ShellLog
    from lamp.agent.app.runtime import Runtime
    from lamp.agent.shell.drafter import CommandDrafter

__all__ = ["CmdDependencies", "CmdFlags", "act", "cmd"]


@dataclass(frozen=True)
class CmdDependencies:
    """Everything `lamp cmd` does to the world, so tests hand in their own: how the command
    runs, how a choice is read, the clipboard, the terminal's console, stdout, warnings."""

    console: Callable[[], Console]
    out: Callable[[str], None]
    warn: Callable[[str], None]
    runner: Runner
    ask: Callable[[str], str]
    copy: Copier
    choose: Callable[[str], str] | None = None  # the menu's one key (None: ``ask``)

    @classmethod
    def on(cls, caller: Caller) -> CmdDependencies:
        """The real world, seen through the caller's Output and environment. A choice is
        read from their stdin, its prompt on stderr (where ``input()`` puts it at a
        terminal)."""
        from .cmd_session import KEYS
        from .keys import read_key
        from .render.terminal import console_for

        output = caller.output
        ask = partial(read_line, output, prompt_on=output.stderr)
        return cls(console=lambda: console_for(output), out=output.write, warn=output.warn,
                   runner=partial(run_in_shell, env=caller.env), ask=ask,
                   copy=partial(copy_to_clipboard, env=caller.env),
                   choose=lambda prompt: read_key(output, prompt, keys=KEYS,
                                                  read_line=lambda: ask(prompt)))


@with_model_options
def cmd(
    request: Annotated[str | None, typer.Argument(
        help="What you want done, in words (any language). Piped stdin works too.",
        show_default=False)] = None,
    print_only: Annotated[bool, typer.Option(
        "--print", "-p", help="Only print the command (what a pipe gets); run nothing.")] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", help="Run the command without asking (needed without a terminal).")
    ] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="With --yes and no terminal: run even a command the risk rules "
        "flag.")] = False,
    shell: Annotated[str | None, typer.Option(
        "--shell", help="The shell to write for and run in (default: the one running lamp, "
        "else $SHELL).", show_default=False)] = None,
    os_name: Annotated[str | None, typer.Option(
        "--os", help="The OS to write for (default: this one).", show_default=False)] = None,
    shell_init: Annotated[str | None, typer.Option(
        "--shell-init", help="Print a bash, zsh or fish snippet binding Ctrl-X Ctrl-L to "
        "turn the typed line into a command.", show_default=False)] = None,
    *,
    rt: Runtime,
) -> None:
    """Propose one shell command; at a terminal: e execute, r revise, d describe, c copy,
    a abort.

    Exit: the command's own status when it runs; 0 when printed or copied; 130 on abort;
    2 for a flagged command with --yes but no --force and no terminal (nothing runs).
    """
    from lamp.agent.app.cmd import drafter_for
    from lamp.agent.app.requests import CmdRequest
    from lamp.agent.app.runlog import shell_log
    from lamp.agent.errors import UsageError

    from .inputs import read_given
    from .shell_env import detect_target

    output = rt.output
    if shell_init is not None:
        from .shell_init import shell_init as snippet

        output.write(snippet(shell_init))
        return
    if print_only and yes:
        raise UsageError("--print runs nothing; drop --yes or --print")
    if force and not yes:
        raise UsageError("--force only matters with --yes")
    given = read_given(rt, request)
    text = "\n".join(part for part in (given.prompt, given.material or "") if part).strip()
    interactive = not print_only and output.interactive
    rt.quiet = not interactive
    drafter = drafter_for(CmdRequest(given, detect_target(shell, os_name, environ=rt.caller.env)),
                          rt)
    code = act(drafter, text, CmdFlags(print_only=print_only, yes=yes, force=force,
                                       terminal=interactive), CmdDependencies.on(rt.caller),
               cwd=rt.caller.cwd, log=shell_log(rt, drafter, text))
    if code:
        raise typer.Exit(code)


@dataclass(frozen=True)
class CmdFlags:
    """``terminal``: stdin and stdout are a terminal (and --print was not given)."""

    print_only: bool = False
    yes: bool = False
    force: bool = False
    terminal: bool = False


def act(drafter: CommandDrafter, request: str, flags: CmdFlags, deps: CmdDependencies, *,
        cwd: Path, log: ShellLog | None = None) -> int:
    """Propose, then print, ask or run as the flags and the terminal say, in ``cwd`` (the
    caller's working directory); the exit status. ``log`` records the proposal and every
    command run, with who let it run (the run log; None: off)."""
    from lamp.agent.errors import UsageError
    from lamp.agent.shell.risk import assess
    from lamp.agent.visible_text import visible

    from .cmd_session import CommandSession, risk_line

    if flags.terminal:
        console = deps.console()
        with console.status("thinking…", spinner="dots"):
            proposal = drafter.propose(request)
    else:
        proposal = drafter.propose(request)
    if log is not None:
        log.proposed(proposal.command)
    risks = assess(proposal.command, cwd, shell=drafter.target.shell, request=request)
    line = risk_line(risks)
    if flags.terminal and (not flags.yes or line):
        # A flagged command with --yes still asks at a terminal: safer than refusing.
        session = CommandSession(drafter, console, ask=deps.ask,
                                 runner=_logged(deps.runner, log, "user-approved"),
                                 copy=deps.copy, warn=deps.warn, cwd=cwd, choose=deps.choose)
        return session.run(proposal)
    if flags.yes and line and not flags.force:
        # One line, nothing run: every flagged command, whatever rule flagged it.
        raise UsageError("refusing to run a flagged command without a terminal: it "
                         + "; ".join(r.reason for r in risks)
                         + f" (add --force to run it): {visible(proposal.command)}")
    if line:
        deps.warn(line)
    if flags.yes:  # --yes approved it before it was proposed
        return _logged(deps.runner, log, "approve-all")(proposal.command, drafter.target, cwd)
    deps.out(proposal.command + "\n")
    return 0


def _logged(runner: Runner, log: ShellLog | None, approval: str) -> Runner:
    """``runner``, each command it runs recorded in ``log`` with who approved it (one of
    lamp.agent.tools.base's approvals, spelled out: that package is not imported here)."""
    return runner if log is None else log.runner(runner, approval)
