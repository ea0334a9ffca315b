"""What a user can ask lamp for, one frozen type per mode.

The CLI turns flags and piped input into one of these; ``answer`` (run.py)
runs it. Everything a mode needs to know about the user's wishes is here, and
nothing about terminals: who approves a tool call is a function (``Approver``),
where text goes is the Runtime's Output. ``lamp serve``, ``lamp mcp serve``, the
benchmarks and programs embedding lamp build the same requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lamp.agent.grounded.attachments import Attachment
from lamp.agent.react.answer import ToolOptions
from lamp.agent.shell.drafter import ShellTarget
from lamp.agent.structured.output import OutputSchema
from lamp.agent.templates import PromptTemplate
from lamp.agent.tools import Approver, deny_all

from .memory import MemoryChoice

__all__ = ["AskRequest", "ChatTurn", "CmdRequest", "DocsRequest", "EachRequest", "Given",
           "PalRequest", "Request", "SchemaRequest", "ToolsRequest"]


@dataclass(frozen=True)
class Given:
    """What the user typed and piped: the prompt, stdin's text, what reading it cost."""

    prompt: str = ""
    material: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AskRequest:
    """One question, answered in one streamed reply (``lamp ask``), optionally through a
    prompt template and with attached files (whole when they fit, else their best parts)."""

    given: Given
    template: PromptTemplate | None = None
    truncate: bool = False  # cut input that does not fit (announced) instead of failing
    attachments: tuple[Attachment, ...] = ()
    memory: MemoryChoice = field(default_factory=MemoryChoice)


@dataclass(frozen=True)
class DocsRequest(AskRequest):
    """An answer from ingested documents, citing numbered sources (``ask --docs``)."""

    collection: str | None = None  # None: every collection
    sources: int = 5  # most sources retrieved (as many as fit are given)


@dataclass(frozen=True)
class SchemaRequest(AskRequest):
    """One JSON document valid against the user's schema (``ask --schema``)."""

    schema: OutputSchema | None = None


@dataclass(frozen=True)
class ToolsRequest:
    """An answer with the tool loop (``ask --tools``, chat's ``/tools``)."""

    given: Given
    tools: ToolOptions = field(default_factory=ToolOptions)
    approve: Approver = deny_all  # asks the person before a tool changes things
    template: PromptTemplate | None = None
    truncate: bool = False
    memory: MemoryChoice = field(default_factory=MemoryChoice)


@dataclass(frozen=True)
class PalRequest:
    """A word problem answered by a program the sandbox runs (``lamp pal``)."""

    given: Given
    timeout: float = 10.0  # seconds one program may run
    # Programs drawn: None: the pal_samples setting; 0: auto (more only when in doubt).
    samples: int | None = None
    explain: bool = False  # a sentence around the computed value


@dataclass(frozen=True)
class EachRequest:
    """One prompt over many inputs, each answered on its own (``ask --each``)."""

    prompt: str = ""  # what every input is material for ("": the input is the question)
    material: str = ""  # stdin: one input per line, or JSON lines with ``field``
    field: str | None = None
    template: PromptTemplate | None = None
    truncate: bool = False
    schema: OutputSchema | None = None
    parallel: int = 1


@dataclass(frozen=True)
class CmdRequest:
    """A request in words for one shell command (``lamp cmd``), for a shell and an OS."""

    given: Given
    target: ShellTarget = field(default_factory=lambda: ShellTarget("sh", "Linux"))


@dataclass(frozen=True)
class ChatTurn:
    """One message of a chat, answered within the conversation the chat holds."""

    text: str
    attachments: tuple[Attachment, ...] = ()
    docs: bool = False  # answer from ingested documents
    collection: str | None = None
    tools: ToolOptions | None = None  # answer with the tool loop
    approve: Approver = deny_all
    # "": a new message; "retry": answer the last message again, in place of its answer
    # (/retry); "continue": go on with the last answer (/continue).
    redo: str = ""
    temperature: float | None = None  # for this turn only (/retry 0.2); None: the chat's


Request = AskRequest | ToolsRequest | PalRequest
