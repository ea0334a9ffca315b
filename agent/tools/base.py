"""What a tool is: a small class with a name, a description, an input schema and ``run``.

The ReAct loop shows the model each tool's name, description and schema, builds
its step grammar from the schemas, and calls ``run`` through
``lamp.agent.tools.runner.run_tool`` (which validates, asks approval, times out
and never raises). A tool class is checked when it is defined, so a plugin with a
bad schema fails at import, with a message, instead of mid-conversation.

    class Weather(Tool):
        name = "weather"
        description = "Current weather for a city."
        input_schema = {"type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"], "additionalProperties": False}

        def run(self, args, ctx):
            return f"sunny in {args['city']}"

``Tool.from_function(fn)`` builds the same from a typed function and its docstring.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ._schema import check_schema, validate_args

__all__ = ["APPROVE_ALL", "NOT_NEEDED", "POLICY", "USER_APPROVED", "USER_REFUSED",
           "ApprovalRequest", "Approver", "DecidingApprover", "Decision", "Tool", "ToolContext",
           "ToolError", "decide", "deny_all", "validate_args"]

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
# An MCP server's tool is namespaced by the server: SERVER.TOOL, the tool part as the server
# spells it (MCP allows letters, digits, '_', '-' and '.').
_MCP_NAME = re.compile(r"[a-z][a-z0-9_-]*\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\Z")


class ToolError(Exception):
    """A tool's own, expected failure ("no such file"): the model sees the message as
    an error observation and may try again; the user sees no traceback."""


@dataclass(frozen=True)
class ApprovalRequest:
    """One call that must be approved before it runs, as the approver is asked about it.

    ``reason`` says why lamp asks (``the shell tool asks before every command``);
    ``risks`` are warnings to show prominently (the shell risk rules, a file that may
    hold secrets). A call with risks is *flagged*: an approver that approves without
    asking (``--approve all``) must still ask about it on a terminal, and refuse it
    where there is none, as ``lamp cmd --yes`` does. ``preview`` is exactly what will
    run (``Tool.preview``); it is model-written text, to be shown only through
    ``lamp.agent.visible_text``.
    """

    tool: Tool
    args: dict[str, Any]
    reason: str
    risks: tuple[str, ...] = ()
    preview: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.risks)


Approver = Callable[[ApprovalRequest], bool]
"""Says yes or no to one ``ApprovalRequest``."""

# Who let a tool call run, or kept it from running: what the run log records per call.
USER_APPROVED, USER_REFUSED = "user-approved", "user-refused"  # a person answered
APPROVE_ALL = "approve-all"  # run unasked because the user said --approve all
POLICY = "policy"  # decided by a rule, nobody asked (no terminal, nobody to ask)
NOT_NEEDED = "not-needed"  # the call needed no approval


@dataclass(frozen=True)
class Decision:
    """An approver's answer and who gave it (``USER_APPROVED``, ``APPROVE_ALL``, ...)."""

    approved: bool
    by: str


class DecidingApprover(ABC):
    """An approver that also says who decided; called like any ``Approver``, it answers
    yes or no. ``run_tool`` asks ``decide`` and records ``Decision.by``."""

    @abstractmethod
    def decide(self, request: ApprovalRequest) -> Decision: ...

    def __call__(self, request: ApprovalRequest) -> bool:
        return self.decide(request).approved


def decide(approve: Callable[..., bool], request: ApprovalRequest) -> Decision:
    """``approve``'s answer to ``request``, with who gave it. A plain approver is taken to
    answer for the user (a program's own approver), except ``deny_all``: nobody asked."""
    if isinstance(approve, DecidingApprover):
        return approve.decide(request)
    approved = bool(approve(request))
    if approve is deny_all:
        return Decision(approved, POLICY)
    return Decision(approved, USER_APPROVED if approved else USER_REFUSED)


def deny_all(*_: Any) -> bool:
    """The default approver: with nobody to ask, calls that need approval do not run."""
    return False


@dataclass
class ToolContext:
    """What the running session lends its tools (one per agent run, shared by all tools).

    ``approve`` is asked before every call that needs approval (``Tool.approval``);
    the CLI passes one that prompts on a terminal, or refuses on a pipe unless
    ``--approve all`` (and refuses flagged calls on a pipe even then).
    ``sandbox`` is created on first use by the python tool and then kept here, so
    the steps of one run share its probe. ``notices`` collects what the person
    should know but the model should not read (a sandbox weaker than strict): the
    loop passes each new one on as a warning, never inside an observation.
    """

    cwd: Path
    allow_outside_cwd: bool = False
    sandbox: Any | None = None
    search_memory: Callable[[str, int], list[str]] | None = None
    approve: Callable[..., bool] = deny_all
    notices: list[str] = field(default_factory=list)

    def notify(self, message: str) -> None:
        """Tell the person (once per run), not the model."""
        if message not in self.notices:
            self.notices.append(message)

    def __post_init__(self) -> None:
        self.cwd = Path(self.cwd)  # a str is accepted: callers often have os.getcwd()


class Tool:
    """Base class of every tool, built-in or plugin. Subclasses set the class variables
    and implement ``run``; instances carry no state between calls unless they choose to.

    Pass ``abstract=True`` in the class statement for an intermediate base class that
    is not a tool itself (``class HttpTool(Tool, abstract=True)``); it skips the checks.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    input_schema: ClassVar[dict[str, Any]]
    # Every call asks. A tool that asks only for some calls (read_file: files that may
    # hold secrets) leaves this False and overrides needs_approval_for or risks, and
    # says when in ``asks_when`` (shown by `lamp tools list`).
    needs_approval: ClassVar[bool] = False
    asks_when: ClassVar[str | None] = None
    enabled_by_default: ClassVar[bool] = True
    timeout: ClassVar[float] = 30.0
    # String arguments that are arithmetic on numbers the request gives (the calculator's
    # expression): their numbers are checked before the call as numeric arguments are
    # (agent/react/call_values.py), so a worked example's numbers copied into a call for a
    # question that has none ("What is photosynthesis?") are not run.
    given_numbers: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        problems = _class_problems(cls)
        if problems:
            raise TypeError(f"tool class {cls.__qualname__} is invalid: " + "; ".join(problems))

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        """Do the work and return the observation text; raise ToolError for expected
        failures (any other exception also becomes an error observation)."""
        raise NotImplementedError

    def futile(self, args: dict[str, Any]) -> str | None:
        """Why running this call could tell the model nothing it does not already know,
        or None (most calls). A futile call is not run: the agent asks the model to answer
        itself (agent/react/loop.py), as it does for a call whose numbers nobody gave."""
        return None

    def needs_approval_for(self, args: dict[str, Any], ctx: ToolContext) -> str | None:
        """Why this call must be approved before it runs, or None to run it unasked.
        The default: every call of a ``needs_approval`` tool, none of another."""
        return f"the {self.name} tool asks before every call" if self.needs_approval else None

    def risks(self, args: dict[str, Any], ctx: ToolContext) -> tuple[str, ...]:
        """Warnings about this call, shown prominently when asking (default: none). A
        call with any is asked about even when ``needs_approval_for`` says None, and is
        refused where nobody can be asked, even under ``--approve all``."""
        return ()

    def approval(self, args: dict[str, Any], ctx: ToolContext) -> ApprovalRequest | None:
        """The question to ask before this call, or None: it runs unasked."""
        risks = tuple(self.risks(args, ctx))
        reason = self.needs_approval_for(args, ctx)
        if reason is None and not risks:
            return None
        if reason is None:
            reason = f"{self.name} runs unasked, but lamp flags this call"
        return ApprovalRequest(self, args, reason, risks, self.preview(args))

    def preview(self, args: dict[str, Any]) -> str:
        """Exactly what will run, as shown to the user when asking approval. Tools that
        need approval override this to show the command itself, not its JSON wrapper."""
        return json.dumps(args, ensure_ascii=False, indent=2)

    def __repr__(self) -> str:
        return f"<tool {self.name}>"

    @classmethod
    def from_function(cls, fn: Callable[..., Any], *, name: str | None = None,
                      needs_approval: bool = False, description: str | None = None,
                      enabled_by_default: bool = True, timeout: float = 30.0) -> type[Tool]:
        """A Tool class from a typed function: the schema comes from the type hints, the
        description and per-argument help from a Google-style docstring (``Args:``).

        Supported hints: str, int, float, bool, list[...], Literal[...] (an enum) and
        ``X | None = None`` for optional arguments. A parameter named ``ctx`` receives
        the ToolContext and is not shown to the model. The return value is
        converted with ``str()``.
        """
        from ._function import tool_class

        return tool_class(cls, fn, name=name, needs_approval=needs_approval,
                          description=description, enabled_by_default=enabled_by_default,
                          timeout=timeout)


def _class_problems(cls: type[Tool]) -> list[str]:
    problems: list[str] = []
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not (_NAME.match(name) or _MCP_NAME.match(name)):
        problems.append(f"name must match [a-z][a-z0-9_]* (got {name!r})")
    description = getattr(cls, "description", None)
    if not isinstance(description, str) or not description.strip():
        problems.append("description must be a non-empty string")
    schema = getattr(cls, "input_schema", None)
    if schema is None:
        problems.append("input_schema is missing")
    else:
        problems += check_schema(schema)
    if cls.run is Tool.run:
        problems.append("run() is not implemented")
    for flag in ("needs_approval", "enabled_by_default"):
        if not isinstance(getattr(cls, flag), bool):
            problems.append(f"{flag} must be True or False")
    if cls.asks_when is not None and not isinstance(cls.asks_when, str):
        problems.append("asks_when must be a string or None")
    timeout = cls.timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        problems.append(f"timeout must be a positive number of seconds (got {timeout!r})")
    return problems
