"""The errors the model layer raises: the root of lamp's exception tree and its model branch.

They live here, below everything else in ``lamp.agent``, so the model layer imports
nothing above it. ``agent/errors.py`` re-exports them and holds the rest of the
tree (its docstring is the one map, with each class's exit code); the CLI's
``EXIT_CODES`` table is the only place exit codes are decided.
"""

from __future__ import annotations

__all__ = ["BackendUnavailable", "LampError", "MalformedReply", "ModelError",
           "ModelFileError", "ServerError", "UsageError"]


class LampError(Exception):
    """Root of every error lamp reports to a user."""


class ModelError(LampError):
    """The model failed while loading or generating."""


class BackendUnavailable(LampError):
    """A model server is down or answered badly."""


class ServerError(BackendUnavailable):
    """The server was reached and refused: callers may treat 4xx and 5xx differently."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class MalformedReply(BackendUnavailable):
    """The server was reached but its reply is not the OpenAI API (a proxy page, bad SSE)."""


class UsageError(LampError):
    """Bad flags, bad config, bad input: something the person must change."""


class ModelFileError(UsageError):
    """The model path is missing, not GGUF, or truncated."""
