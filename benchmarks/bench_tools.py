"""A benchmark case's own functions as tools of lamp's real loop, and what the loop did with them.

A benchmark hands its Runtime one ``CaseTools`` (a ``lamp.agent.tools.ToolSource``,
looked up as MCP servers' tools are) and gives it each case's functions before
asking: lamp then selects them by name, shows them, builds its step grammar from
their schemas and runs its own checks, exactly as for any tool a user adds. The
schemas are adapted as an MCP server's are (``lamp.agent.mcp.adapter``). A
function whose name breaks lamp's tool-name rule (``calculate_BMI``) gets a legal
name, and the calls are reported under the function's own name.

``watch`` reads a run's events for what scoring needs: the first call a tool
ran (the loop accepted it), the calls proposed, malformed steps, and whether the
loop answered without tools. It stops the run as soon as that is known, so a
case costs what the loop spends up to its first call and no more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lamp.agent.app.result import Run
from lamp.agent.events import Notice, Observation, Routed, ToolCall
from lamp.agent.mcp.adapter import SchemaUnsupported, adapt_schema
from lamp.agent.tools import Tool, ToolContext, load_tools

__all__ = ["CaseTools", "Function", "Watched", "watch"]

# What the loop says when it answers without tools (agent/react/loop.py): the router sent
# the question past them, or a final answer rested on failed calls. Read only to stop
# early; if the wording changes, the run just goes on to its answer (still no call).
_ANSWERS_WITHOUT_TOOLS = ("the question needs no tool", ": answering without tools")

Runner = Callable[[str, dict[str, Any]], str]
"""What a tool's call does: (the function's own name, args) -> the observation."""


@dataclass(frozen=True)
class Function:
    """One function a case offers: its own name, description and JSON schema."""

    name: str
    description: str
    schema: dict[str, Any]


def _legal(name: str) -> bool:
    """Whether lamp accepts ``name`` for a tool (the Tool class check decides)."""
    try:
        type("Probe", (Tool,), {"name": name, "description": "probe",
                                "input_schema": {"type": "object", "properties": {},
                                                 "additionalProperties": False},
                                "run": lambda self, args, ctx: ""})
    except TypeError:
        return False
    return True


def _legal_name(name: str, taken: set[str]) -> str:
    """``name`` if lamp accepts it and it is free, else a legal, free name close to it."""
    candidate = name
    if not _legal(candidate):
        candidate = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "function"
        if not candidate[0].isalpha():
            candidate = "f_" + candidate
    base, n = candidate, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def _tool_class(lamp_name: str, function: Function, runner: Runner) -> type[Tool]:
    def run(self: Tool, args: dict[str, Any], ctx: ToolContext) -> str:
        return runner(function.name, args)

    return type(f"Bench_{re.sub(r'[^A-Za-z0-9_]', '_', lamp_name)}", (Tool,), {
        "name": lamp_name,
        "description": function.description.strip() or function.name,
        "input_schema": adapt_schema(function.schema),
        "run": run,
    })


@dataclass
class CaseTools:
    """The tools of the case being asked: a ToolSource whose tools change per case."""

    _classes: dict[str, type[Tool]] = field(default_factory=dict)
    _original: dict[str, str] = field(default_factory=dict)  # lamp's name -> the function's
    unusable: list[str] = field(default_factory=list)  # schemas lamp cannot enforce

    def use(self, functions: list[Function], runner: Runner) -> list[str]:
        """Offer ``functions`` (each call handled by ``runner``) from now on; the names lamp
        knows them by, in order. A function whose schema lamp cannot enforce is left out
        (listed in ``unusable``), as an MCP server's would be."""
        self._classes, self._original, self.unusable = {}, {}, []
        taken = set(load_tools())  # a built-in's or plugin's name would shadow the function
        names = []
        for function in functions:
            name = _legal_name(function.name, taken)
            try:
                self._classes[name] = _tool_class(name, function, runner)
            except (SchemaUnsupported, TypeError) as exc:
                self.unusable.append(f"{function.name}: {exc}")
                continue
            taken.add(name)
            self._original[name] = function.name
            names.append(name)
        return names

    def original(self, name: str) -> str:
        """The function's own name for a tool name lamp used."""
        return self._original.get(name, name)

    @property
    def servers(self) -> list[str]:
        return sorted({name.partition(".")[0] for name in self._classes})

    def owns(self, name: str) -> bool:
        return name in self._classes or name in self.servers

    def resolve(self, name: str) -> list[type[Tool]]:
        if name in self._classes:
            return [self._classes[name]]
        return [c for n, c in self._classes.items() if n.partition(".")[0] == name]


@dataclass
class Watched:
    """What a watched run did before it was stopped (tool names as the case spells them)."""

    ran: tuple[str, dict[str, Any]] | None = None  # the first call a tool ran
    proposed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    not_run: int = 0  # calls the loop held back (error observations without a run)
    malformed: int = 0  # steps that did not parse (the grammar should make this 0)
    without_tools: bool = False  # the loop said it answers without tools
    finished: bool = False  # the run reached its end
    routed: Routed | None = None  # the router's decision and leans, when it was asked


def watch(run: Run, source: CaseTools, calls: list[tuple[str, dict[str, Any]]],
          *, until: str = "call") -> Watched:
    """Drive ``run`` and stop it as soon as the loop answers without tools, or when
    ``until`` is ``"call"``: a tool ran its first call (``calls``, which the tools append
    to, grew); ``"step"``: the first step came (a call proposed, or a malformed step);
    ``"route"``: the router decided; ``"end"``: never early."""
    seen = Watched()
    before = len(calls)
    events: Iterator[Any] = iter(run)
    try:
        for event in events:
            if isinstance(event, Routed):
                seen.routed = event
                if until == "route":
                    return seen
            elif isinstance(event, ToolCall):
                seen.proposed.append((source.original(event.tool), dict(event.input)))
                if until == "step":
                    return seen
            elif isinstance(event, Observation):
                if not event.tool:
                    seen.malformed += 1
                    if until == "step":
                        return seen
                elif len(calls) > before:
                    seen.ran = seen.ran or calls[before]
                    if until == "call":
                        return seen
                elif event.is_error:
                    seen.not_run += 1
            elif isinstance(event, Notice) and any(
                    s in event.message for s in _ANSWERS_WITHOUT_TOOLS):
                seen.without_tools = True
                if until != "end":
                    return seen
        seen.finished = True
        return seen
    finally:
        run.close()  # the loop stops generating
        close = getattr(events, "close", None)
        if close is not None:
            close()
