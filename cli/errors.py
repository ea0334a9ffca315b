"""The one place where exceptions become a stderr line and an exit code."""

from __future__ import annotations

import sys
import traceback

__all__ = ["EXIT_INTERRUPTED", "EXIT_MODEL", "EXIT_OK", "EXIT_STEP_LIMIT", "EXIT_USAGE",
           "exit_code_for", "report"]

EXIT_OK, EXIT_MODEL, EXIT_USAGE, EXIT_STEP_LIMIT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    code = getattr(exc, "exit_code", None)
    return code if isinstance(code, int) else EXIT_MODEL


def report(exc: BaseException, verbose: bool = False) -> int:
    """Print one line (a traceback too with --verbose) and return the exit code."""
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyboardInterrupt):
        message = "interrupted"
    sys.stderr.write(f"lamp: error: {message}\n")
    sys.stderr.flush()
    return exit_code_for(exc)
