"""The one place where exceptions become a stderr line and an exit code.

``EXIT_CODES`` is the table the README's exit codes describe: lamp's own errors
(lamp.agent.errors, which include the sandbox's), the memory store's (which
never import the agent) and an interrupt. The first row an exception matches
decides; anything else is a failure (1). Every ``lamp: error:`` line is
written by ``error_line``.
"""

from __future__ import annotations

import sys
import traceback

import typer

from lamp.agent.errors import LampError, SandboxUnavailable, StepLimitReached, UsageError
from lamp.memory.errors import MemoryInputError, MemoryStoreError

__all__ = ["EXIT_CODES", "EXIT_INTERRUPTED", "EXIT_MODEL", "EXIT_OK", "EXIT_STEP_LIMIT",
           "EXIT_USAGE", "Aborted", "error_line", "exit_code_for", "is_reported", "report",
           "usage_exit"]

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_STEP_LIMIT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Aborted(LampError):
    """The person at the terminal chose not to go on (`lamp cmd`'s [a]bort): exit 130, as
    for Ctrl-C, since nothing was done on their behalf either way."""

    exit_code = EXIT_INTERRUPTED


EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (KeyboardInterrupt, EXIT_INTERRUPTED),
    (Aborted, EXIT_INTERRUPTED),  # lamp cmd: the user chose [a]bort
    (StepLimitReached, EXIT_STEP_LIMIT),  # the agent used all its steps (partial answer shown)
    (UsageError, EXIT_USAGE),  # bad flags, config, input, model file, sandbox policy
    (MemoryInputError, EXIT_USAGE),  # unknown memory id, bad store URL or path
    (SandboxUnavailable, EXIT_MODEL),  # strict isolation impossible here
    (MemoryStoreError, EXIT_MODEL),  # the store or its server failed
    (LampError, EXIT_MODEL),  # the model, its server, a tool run
)


def exit_code_for(exc: BaseException) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return EXIT_MODEL


def is_reported(exc: BaseException) -> bool:
    """One of lamp's own errors (a row of the table), as opposed to a bug."""
    return any(isinstance(exc, kind) for kind, _ in EXIT_CODES)


def error_line(message: str) -> None:
    sys.stderr.write(f"lamp: error: {message}\n")
    sys.stderr.flush()


def usage_exit(message: str) -> typer.Exit:
    """Say a usage error and return the Exit to raise (for commands outside ``execute``)."""
    error_line(message)
    return typer.Exit(EXIT_USAGE)


def report(exc: BaseException, verbose: bool = False) -> int:
    """Print one line (a traceback too with --verbose) and return the exit code."""
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    error_line(message)
    return exit_code_for(exc)
