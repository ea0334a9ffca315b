"""The one place where exceptions become a stderr line and an exit code.

``EXIT_CODES`` is the table the README's exit codes describe: lamp's own errors
(lamp.agent.errors, which include the sandbox's), the memory store's (which
never import the agent) and an interrupt. The first row an exception matches
decides; anything else is a failure (1). It is the only place exit codes are
decided: the error classes carry none, and whoever needs one asks
``exit_code_for``. Every ``lamp: error:`` line is written by ``error_line``.
"""

from __future__ import annotations

import sys
import traceback
from typing import IO

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


def error_line(message: str, err: IO[str] | None = None) -> None:
    """``err``: the caller's stderr (None: this process's)."""
    err = err if err is not None else sys.stderr
    err.write(f"lamp: error: {message}\n")
    err.flush()


def usage_exit(message: str, err: IO[str]) -> typer.Exit:
    """Say a usage error on ``err`` (the caller's stderr) and return the Exit to raise."""
    error_line(message, err)
    return typer.Exit(EXIT_USAGE)


def report(exc: BaseException, verbose: bool = False, err: IO[str] | None = None) -> int:
    """Print one line (a traceback too with --verbose) on ``err`` (None: this process's
    stderr) and return the exit code."""
    if verbose:
        traceback.print_exception(exc, file=err if err is not None else sys.stderr)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    error_line(message, err)
    return exit_code_for(exc)
