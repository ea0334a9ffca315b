"""Typed records of what an agent run did: one per ReAct step, one per PAL answer.

They travel in ``FinalAnswer.steps`` (and ``StepLimitReached.steps``) so that
``--json`` output and benchmarks can show every step with its timings. Each is
a frozen dataclass; ``to_dict()`` gives the JSON shape the CLI has always
printed (same keys, same order), and reading a record like that dict
(``step["kind"]``, ``outcome.get("retries")``) works too, for scripts written
against the JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PalAttemptRecord", "PalRecord", "Record", "StepRecord"]


class Record(Mapping[str, Any]):
    """A typed record that also reads as its JSON dict."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())


@dataclass(frozen=True, eq=True)
class StepRecord(Record):
    """One ReAct step.

    ``kind``: ``action`` (a tool ran, or was refused), ``repeat`` (the same call again,
    not run), ``held`` (not run: it used numbers nobody gave, agent/react/call_values.py, or
    its tool called it futile; ``reason`` says which),
    ``malformed`` (the reply did not parse), ``final`` (the answer) or
    ``direct`` (answered without tools: no tool was needed, or none worked).
    The first step also says what warming the fixed prompt prefix cost.
    """

    step: int
    kind: str
    raw: str
    first_token_s: float
    model_s: float
    prefix_cache: str | None = None  # first step only, when the backend warms prefixes
    prefix_s: float | None = None
    thought: str = ""
    tool: str = ""
    input: dict[str, Any] = field(default_factory=dict)
    refused: bool | None = None  # action steps that ran the tool (or asked to)
    observation: str = ""
    is_error: bool = False
    tool_s: float = 0.0
    answer: str = ""  # final steps
    forced: bool = False  # final steps: only an answer was allowed (after a repeat)
    reason: str = ""  # direct steps: why answered without tools; held steps: why not run
    route_s: float | None = None  # direct steps chosen by the router: what deciding cost
    route_leans: tuple[float, ...] = ()  # and how far each of its questions leaned to a tool

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "raw": self.raw,
                               "first_token_s": self.first_token_s, "model_s": self.model_s}
        if self.prefix_cache is not None:
            out.update(prefix_cache=self.prefix_cache, prefix_s=self.prefix_s)
        out["kind"] = self.kind
        if self.kind == "direct":
            out.update(reason=self.reason, answer=self.answer)
            if self.route_s is not None:
                out["route_s"] = self.route_s
            if self.route_leans:
                out["route_leans"] = list(self.route_leans)
            return out
        if self.kind == "final":
            out.update(thought=self.thought, answer=self.answer)
            if self.forced:
                out["forced"] = True
            return out
        if self.kind in ("action", "repeat", "held"):
            out.update(thought=self.thought, tool=self.tool, input=self.input)
        if self.kind == "held":
            out["reason"] = self.reason
        if self.refused is not None:
            out["refused"] = self.refused
        out.update(observation=self.observation, is_error=self.is_error, tool_s=self.tool_s)
        return out


@dataclass(frozen=True, eq=True)
class PalAttemptRecord(Record):
    """One program the model wrote and the sandbox ran."""

    program: int  # which reply of the model it came from, counting from 1
    code: str
    value: str | None
    stdout: str
    stderr: str  # the last 800 characters
    exit_code: int
    timed_out: bool
    seconds: float
    # The chance of its least sure code token, where the model reported chances
    # (agent/pal/doubt.py); None elsewhere, and then left out of the dict.
    least_sure: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"program": self.program, "code": self.code, "value": self.value,
               "stdout": self.stdout, "stderr": self.stderr, "exit_code": self.exit_code,
               "timed_out": self.timed_out, "seconds": self.seconds}
        if self.least_sure is not None:
            out["least_sure"] = self.least_sure
        return out


@dataclass(frozen=True, eq=True)
class PalRecord(Record):
    """How one PAL answer was made: the programs, their values, the vote, the timings.

    ``failure`` is None when a value was found, else ``no code``, ``exception``,
    ``timeout`` or ``no value``; ``code`` and ``stdout`` are the winning program's.
    """

    question: str
    value: str | None
    code: str
    stdout: str
    retries: int
    failure: str | None
    programs: int
    votes: dict[str, int]
    sandbox_layers: tuple[str, ...]
    attempts: tuple[PalAttemptRecord, ...]
    model_s: float
    sandbox_s: float
    # Set when the answer is not the chosen program's value as printed (a proportion
    # shown as the percentage the question asks for, agent/pal/percent.py).
    value_note: str | None = None
    # Why more programs were drawn after the first answer (agent/pal/doubt.py), and that
    # answer; empty and None when it was not in doubt.
    doubts: tuple[str, ...] = ()
    value_before_doubt: str | None = None
    doubt_s: float = 0.0  # the time those programs took
    # The English restatement of a Korean problem the programs were written for
    # (agent/pal/restate.py); None when they were written for the question as asked.
    restated: str | None = None

    @property
    def attempt_count(self) -> int:
        """Programs the user waited for before lamp gave up: every reply asked for (the
        first, a retry, any drawn because the answer was in doubt), at least one."""
        return max(1, self.programs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "value": self.value, "code": self.code,
            "stdout": self.stdout, "retries": self.retries, "failure": self.failure,
            "programs": self.programs, "votes": dict(self.votes),
            "sandbox_layers": list(self.sandbox_layers),
            "attempts": [a.to_dict() for a in self.attempts],
            "timings": {"model_s": self.model_s, "sandbox_s": self.sandbox_s,
                        "doubt_s": self.doubt_s},
            **({"value_note": self.value_note} if self.value_note else {}),
            "doubts": list(self.doubts),
            "restated": self.restated,
            **({"value_before_doubt": self.value_before_doubt} if self.doubts else {}),
        }
