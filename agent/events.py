"""Typed events the agent streams back to whoever renders them.

The agent never prints: it yields these frozen dataclasses, and a renderer in
the CLI (Rich on a terminal, plain text on a pipe, JSON for scripts) decides how
they look. Keeping them plain data also makes the loop testable without a screen.
``Usage`` is defined with the models (lamp.agent.models.usage), which measure it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models.usage import Usage
from .records import Record

__all__ = [
    "CodeRun",
    "Event",
    "FinalAnswer",
    "Notice",
    "Observation",
    "Routed",
    "TextDelta",
    "ToolCall",
    "Usage",
]


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text, as it is generated."""

    text: str


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not the answer (e.g. a truncation)."""

    message: str
    level: str = "warning"


@dataclass(frozen=True)
class ToolCall:
    tool: str
    input: dict[str, Any]
    thought: str = ""


@dataclass(frozen=True)
class Observation:
    """A tool call's result, as the model reads it next. ``approval`` says who let the
    call run or refused it (lamp.agent.tools.base: ``not-needed``, ``user-approved``, ...);
    None when no tool ran (a repeated or held call, a malformed step)."""

    tool: str
    output: str
    is_error: bool = False
    seconds: float = 0.0
    approval: str | None = None


@dataclass(frozen=True)
class Routed:
    """The router's decision before the first agent step (lamp.agent.react.route):
    whether the question goes to the tools, and how far each question it asked leaned
    toward them (empty where the backend reports no token chances)."""

    tool: bool
    leans: tuple[float, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class CodeRun:
    code: str
    stdout: str
    stderr: str
    exit_code: int
    seconds: float = 0.0


@dataclass(frozen=True)
class FinalAnswer:
    """The answer, with typed records of how it was made: one ``StepRecord`` per ReAct
    step, or one ``PalRecord`` (lamp.agent.records); none for a plain conversation."""

    text: str
    steps: list[Record] = field(default_factory=list)


Event = (TextDelta | Notice | Routed | ToolCall | Observation | CodeRun | Usage
         | FinalAnswer)
