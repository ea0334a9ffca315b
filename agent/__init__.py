"""lamp's agent layer: conversation loop, backends, model store (never imports Typer or Rich)."""

from __future__ import annotations

from .backend import Backend, Chunk, Message, Sampling
from .errors import (
    BackendUnavailable,
    ContextOverflow,
    InputError,
    LampError,
    ModelError,
    ModelFileError,
    StepLimitReached,
    UsageError,
)

__all__ = [
    "Backend",
    "BackendUnavailable",
    "Chunk",
    "ContextOverflow",
    "InputError",
    "LampError",
    "Message",
    "ModelError",
    "ModelFileError",
    "Sampling",
    "StepLimitReached",
    "UsageError",
]
