"""One run's outcome, folded from its events in one place: ``Run`` and ``RunResult``.

Every mode streams typed events (lamp.agent.events). A renderer shows them as
they come; what the run *was* (the answer, the usage, the warnings met, the
steps, the sources and which were cited, how long it took, whether it stopped
at its step limit) is gathered here, by ``RunResult.absorb``, and nowhere
else. The JSON renderer builds lamp's one ``--json`` shape from it; chat,
serve and the benchmarks read the same fields.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lamp.agent.errors import LampError, StepLimitReached
from lamp.agent.events import Event, FinalAnswer, Notice, Observation, TextDelta, ToolCall, Usage

if TYPE_CHECKING:
    from lamp.agent.grounded.answer import Source
    from lamp.agent.records import Record

__all__ = ["Run", "RunResult", "ToolUse"]


@dataclass(frozen=True)
class ToolUse:
    """One tool call of a run and what came of it: its output, and who let it run
    (``approval``: None when it did not run, e.g. a repeated call). The run log keeps
    these; ``--json`` shows the steps instead."""

    tool: str
    input: dict[str, Any]
    output: str | None = None  # None: no observation yet
    is_error: bool = False
    seconds: float = 0.0
    approval: str | None = None


@dataclass
class RunResult:
    """What one run produced. ``answer`` is the final answer's text, or with a schema the
    validated document; ``text`` is what streamed (the answer itself, or PAL's sentence
    around its value)."""

    answer: Any = ""
    text: str = ""
    usage: Usage | None = None
    final: FinalAnswer | None = None
    notices: list[str] = field(default_factory=list)  # the warnings met, once each
    model: dict[str, Any] = field(default_factory=dict)  # the backend's own description
    session: str | None = None
    template: str | None = None
    sampling: dict[str, Any] | None = None
    structured: bool = False  # the answer is a JSON document (``--schema``)
    grounded: bool = False  # an answer from sources (``--docs``), which it may cite
    sources: list[Source] = field(default_factory=list)  # grounded answers: given sources
    citations: list[int] = field(default_factory=list)  # ... and the ones the answer cites
    details: dict[str, Any] = field(default_factory=dict)  # the mode's own facts (tools, PAL)
    tool_uses: list[ToolUse] = field(default_factory=list)  # every tool call, in order
    stopped: str | None = None  # why the run ended before its answer ("step limit")
    error: LampError | None = None  # the error of a run that stopped early
    load_s: float | None = None  # the model's load time, when this command loaded it
    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None

    @property
    def steps(self) -> list[Record]:
        """Typed records of how the answer was made (ReAct steps, PAL's program)."""
        return list(self.final.steps) if self.final is not None else []

    @property
    def total_s(self) -> float:
        end = self.ended if self.ended is not None else time.perf_counter()
        return end - self.started

    def absorb(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.text += event.text
        elif isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, FinalAnswer):
            self.final, self.answer = event, event.text
        elif isinstance(event, ToolCall):
            self.tool_uses.append(ToolUse(event.tool, dict(event.input)))
        elif (isinstance(event, Observation) and self.tool_uses
              and self.tool_uses[-1].output is None and self.tool_uses[-1].tool == event.tool):
            self.tool_uses[-1] = ToolUse(event.tool, self.tool_uses[-1].input, event.output,
                                         event.is_error, event.seconds, event.approval)
        elif (isinstance(event, Notice) and event.level == "warning"
              and event.message not in self.notices):
            self.notices.append(event.message)

    def stop(self, exc: StepLimitReached) -> None:
        """The loop used all its steps: its best answer so far is the answer."""
        self.stopped, self.error, self.answer = "step limit", exc, exc.partial_answer
        if "tools" in self.details:
            self.details["steps"] = list(exc.steps)


class Run:
    """A started run: iterate it for its events (each folded into ``result`` as it
    passes); ``finish`` completes the result once the events are all in (a schema's
    validation, a grounded answer's citations) and may raise. Nothing runs until the
    first event is asked for."""

    def __init__(self, events: Iterator[Event], result: RunResult | None = None,
                 finish: Callable[[RunResult], None] | None = None) -> None:
        self._events = events
        self.result = result if result is not None else RunResult()
        self._finish = finish

    @classmethod
    def of(cls, events: Run | Iterable[Event]) -> Run:
        """``events`` as a Run: a Run as it is, bare events (a conversation's) in a new one."""
        return events if isinstance(events, Run) else cls(iter(events))

    def __iter__(self) -> Iterator[Event]:
        result = self.result
        try:
            for event in self._events:
                result.absorb(event)
                yield event
        except StepLimitReached as exc:
            result.ended = time.perf_counter()
            result.stop(exc)
            return
        result.ended = time.perf_counter()
        if self._finish is not None:
            self._finish(result)

    def close(self) -> None:
        """Stop the run where it is (Ctrl-C in chat): the model stops generating."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def consume(self) -> RunResult:
        """Run to the end without showing anything; the result."""
        for _ in self:
            pass
        return self.result
