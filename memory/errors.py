"""Errors raised by lamp's memory store, with the exit codes the CLI gives them.

    MemoryStoreError          exit 1  the store or the server could not do what was asked
    └── MemoryInputError      exit 2  bad input: unknown id, malformed URL,
                                      unreadable or corrupted store path

The memory package never imports the agent, so these do not derive from
``LampError``; the CLI's ``EXIT_CODES`` table (lamp.cli.errors) has a row for each.
Third-party errors (chromadb, onnxruntime) are wrapped with ``raise ... from``.
"""

from __future__ import annotations

__all__ = ["MemoryInputError", "MemoryStoreError"]


class MemoryStoreError(Exception):
    """The memory store failed (server unreachable, embedding model broken, ...)."""


class MemoryInputError(MemoryStoreError):
    """The user gave something the store cannot use (unknown id, bad URL, bad path)."""
