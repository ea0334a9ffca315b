"""lamp's agent layer: the loops (conversation, ReAct, PAL), their policies, tools, sandbox.

Models sit below, in ``lamp.agent.models``; the CLI above. Never imports Typer or Rich.
"""

from __future__ import annotations

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
from .models import Backend, Capabilities, Chunk, Message, Sampling

__all__ = [
    "Backend",
    "BackendUnavailable",
    "Capabilities",
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
