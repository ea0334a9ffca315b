"""The conversation loop: fit the history, stream the reply, remember the turn.

``Conversation.send`` is a generator of events; the CLI renders them. If the
consumer stops early (Ctrl-C in chat), the partial reply is still recorded so
the next turn sees what the user saw.

A chat also edits its history: the last exchange is taken out (``/undo``, and
``/retry`` before it asks again) or its answer is continued (``continue_last``).
Turns taken out are never recalled again from memory in this conversation. With
``running_summary`` on, turns that no longer fit are folded into a short summary
kept in the system prompt (lamp.agent.summary) instead of silently left out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from .context import FitResult, fit_messages
from .errors import LampError, UsageError
from .events import Event, FinalAnswer, Notice, TextDelta, Usage
from .framing import frame, neutralize
from .memory_link import MemoryHook
from .models import Backend, Message, Sampling
from .summary import fold_summary, summary_block

__all__ = ["ASSISTANT_SYSTEM", "INTERRUPTED", "Conversation", "Exchange",
           "compose_user_message", "join_answer"]

INTERRUPTED = " [interrupted]"
"""The mark a reply stopped by the user ends with in the history."""

SUMMARY_NOTICE = ("the conversation no longer fits the context window: its earliest turns "
                  "are kept as a short summary in the system prompt")

ASSISTANT_SYSTEM = ("You are lamp, a helpful assistant running locally. "
                    "Answer clearly and concisely.")
"""The system prompt of a plain answer (``lamp ask``, ``chat``) unless the user sets one."""


def compose_user_message(prompt: str, material: str | None) -> str:
    """Join the user's request with piped-in material the request talks about, framed
    (``framing.py``) so that the material cannot speak as the request; material alone
    is the request, made plain (no control tokens, no frame markers)."""
    if not material:
        return prompt
    if not prompt:
        return neutralize(material)
    return f"{prompt}\n\nInput:\n{frame('input', material.rstrip())}"


def join_answer(base: str, more: str) -> str:
    """An answer and its continuation as one text: a space between two words, nothing
    where either side already breaks (a continuation asked for as a new turn usually
    starts a fresh sentence or line)."""
    if not base or not more or base[-1].isspace() or more[0].isspace():
        return base + more
    return f"{base} {more}"


@dataclass(frozen=True)
class Exchange:
    """Messages taken out of the end of the history, with their memory turn numbers."""

    messages: tuple[Message, ...]
    numbers: tuple[int | None, ...]

    @property
    def stored(self) -> list[tuple[int, str]]:
        """(turn number, role) of the messages memory holds."""
        return [(n, m.role) for m, n in zip(self.messages, self.numbers, strict=True)
                if n is not None]


@dataclass
class Conversation:
    backend: Backend
    sampling: Sampling
    system: str = ""
    truncate: bool = False
    history: list[Message] = field(default_factory=list)
    examples: list[Message] = field(default_factory=list)  # few-shot, always kept
    memory: MemoryHook | None = None
    memory_budget: int = 384  # most tokens of recalled memory per answer
    # Store turn numbers parallel to ``history`` (None: not stored), so recall can
    # leave out exactly the turns that are still in the window.
    turn_numbers: list[int | None] = field(default_factory=list)
    # Chat's running summary (lamp.agent.summary): turns that no longer fit are folded
    # into ``summary``; the first ``folded`` messages of the history are in it and are no
    # longer sent. Off: turns that do not fit are simply left out.
    running_summary: bool = False
    summary: str = ""
    folded: int = 0
    # Turn numbers taken out of the conversation (/undo, /retry): never recalled again.
    forgotten: set[int] = field(default_factory=set)
    _summary_said: bool = field(default=False, init=False, repr=False)

    def reset(self) -> None:
        self.history.clear()
        self.turn_numbers.clear()
        self.summary, self.folded = "", 0

    def load(self, turns: list[tuple[int, Message]]) -> None:
        """Start from stored turns (``lamp chat -c``, ``ask --session``)."""
        self.history = [m for _, m in turns]
        self.turn_numbers = [n for n, _ in turns]
        self.summary, self.folded = "", 0

    def take_last(self) -> Exchange | None:
        """Take the last exchange out of the history (from its user message on); None
        when there is none. Its turns are not recalled from memory again."""
        starts = [i for i, m in enumerate(self.history) if m.role == "user"]
        if not starts:
            return None
        at = starts[-1]
        taken = Exchange(tuple(self.history[at:]), tuple(self.turn_numbers[at:]))
        del self.history[at:], self.turn_numbers[at:]
        self.folded = min(self.folded, at)
        self.forgotten.update(n for n in taken.numbers if n is not None)
        return taken

    def put_back(self, taken: Exchange) -> None:
        """Undo ``take_last`` (a retry that failed before it had an answer)."""
        self.history += taken.messages
        self.turn_numbers += taken.numbers
        self.forgotten.difference_update(n for n in taken.numbers if n is not None)

    def system_text(self) -> str:
        """The system prompt with the running summary, when there is one."""
        if not self.summary:
            return self.system
        return f"{self.system}\n\n{summary_block(self.summary)}".strip()

    def window_tokens(self) -> int:
        """Tokens the system prompt and the history that fits take now (``/stats``)."""
        return self._fit(self.system_text(), "", self.sampling).prompt_tokens

    def _system_with_memory(self, system: str, user_text: str, kept: int,
                            max_tokens: int) -> str:
        if self.memory is None:
            return system
        numbers = self.turn_numbers[len(self.turn_numbers) - kept:] if kept else []
        in_window = {n for n in numbers if n is not None} | self.forgotten
        free = self.backend.context_size - max_tokens - self.backend.count_tokens(
            [Message("system", system), Message("user", user_text)])
        budget = min(self.memory_budget, self.backend.context_size // 4, free)
        block = self.memory.recall(user_text, in_window, budget) if budget > 32 else ""
        # Recalled text was written by anyone who once reached a prompt (a document, a
        # tool result): it goes in a frame like theirs.
        return f"{system}\n\n{frame('memory', block)}".strip() if block else system

    def send(self, user_text: str, sampling: Sampling | None = None, *,
             grammar: str | None = None, json_schema: dict | None = None) -> Iterator[Event]:
        """``grammar`` / ``json_schema`` constrain the reply (``ask --schema``); a backend is
        given only the ones that are set, so backends without them need not take them."""
        sampling = sampling or self.sampling
        constraint = _constraint(grammar, json_schema)
        fit = yield from self._fit_turn(user_text, sampling)
        user_msg = fit.messages[-1]
        yield from self._stream(fit.messages, sampling, constraint,
                                lambda answer: self.record_exchange(user_msg, answer))

    def continue_last(self, instruction: str, sampling: Sampling | None = None
                      ) -> Iterator[Event]:
        """Go on with the last answer (cut off at ``max_tokens``, or stopped): the model is
        asked to continue, and what it writes joins that answer, one exchange in the history
        and in memory (the old one's turns are forgotten). No backend can yet be handed a
        half-written reply to extend, so the request is a user turn, ``instruction``, which
        is not kept; until an answer comes back the history is as it was."""
        if len(self.history) < 2 or self.history[-1].role != "assistant":
            raise UsageError("there is no answer to continue")
        sampling = sampling or self.sampling
        last = self.history[-1]
        base = last.content.removesuffix(INTERRUPTED)
        joined = False

        def extend(more: str) -> None:
            nonlocal joined
            joined = True
            taken = self.take_last()
            assert taken is not None
            self.record_exchange(taken.messages[0], join_answer(base, more))

        self.history[-1] = Message("assistant", base)
        try:
            fit = yield from self._fit_turn(instruction, sampling)
            yield from self._stream(fit.messages, sampling, {}, extend)
        finally:
            if not joined:
                self.history[-1] = last

    def amend_last(self, complaint: str, sampling: Sampling | None = None, *,
                   grammar: str | None = None, json_schema: dict | None = None
                   ) -> Iterator[Event]:
        """Ask again about the last exchange, telling the model what was wrong with its
        answer (``--schema``'s validation error): it sees its answer and ``complaint``; the
        new answer replaces the old one, so the history and memory keep one exchange, the
        question with the answer that counts. Nothing changes until the new answer is in."""
        if len(self.history) < 2 or self.history[-1].role != "assistant":
            raise UsageError("there is no answer to amend")
        sampling = sampling or self.sampling
        constraint = _constraint(grammar, json_schema)

        def replace(answer: str) -> None:
            taken = self.take_last()
            assert taken is not None
            self.record_exchange(taken.messages[0], answer)
            if self.memory is not None and taken.stored:
                self.memory.forget(taken.stored)

        fit = yield from self._fit_turn(complaint, sampling)
        yield from self._stream(fit.messages, sampling, constraint, replace)

    def _fit_turn(self, user_text: str, sampling: Sampling
                  ) -> Generator[Event, None, FitResult]:
        """The prompt of one turn: earlier turns folded into the summary when they no
        longer fit (running summary), memory recalled, a truncation announced."""
        if self.running_summary:
            yield from self._fold(user_text, sampling)
        system = self.system_text()
        fit = self._fit(system, user_text, sampling)
        if self.memory is not None:
            kept = len(fit.messages) - 1 - (1 if system else 0) - len(self.examples)
            memory_system = self._system_with_memory(system, user_text, max(kept, 0),
                                                     sampling.max_tokens)
            if memory_system != system:
                fit = self._fit(memory_system, user_text, sampling)
        if fit.truncated_chars:
            yield Notice(
                f"input truncated: {fit.truncated_chars:,} characters cut to fit the "
                f"context window of {self.backend.context_size:,} tokens"
            )
        return fit

    def _fold(self, user_text: str, sampling: Sampling) -> Iterator[Event]:
        """When the history no longer fits, fold its oldest turns into the summary: down to
        half the room the history has, so the next few turns fit without another fold (one
        short model call every few turns, not one per turn)."""
        system = self.system_text()
        if len(self.history) <= self.folded or not self._dropped(
                system, user_text, sampling, self.backend.context_size):
            return
        head = [Message("system", system)] if system else []
        room = (self.backend.context_size - sampling.max_tokens
                - self.backend.count_tokens([*head, Message("user", user_text)]))
        fold = self._dropped(system, user_text, sampling,
                             self.backend.context_size - max(room, 0) // 2)
        window = self.history[self.folded:]
        with suppress(LampError):  # no summary this time: the turns are left out, as before
            self.summary = fold_summary(self.backend, self.summary, window[:fold], sampling)
        self.folded += fold
        if not self._summary_said:
            self._summary_said = True
            yield Notice(SUMMARY_NOTICE)

    def _dropped(self, system: str, user_text: str, sampling: Sampling, n_ctx: int) -> int:
        """How many messages of the (unfolded) history a prompt of ``n_ctx`` leaves out."""
        window = self.history[self.folded:]
        fit = fit_messages(
            Message("system", system) if system else None, [*self.examples, *window],
            Message("user", user_text), count=self.backend.count_tokens, n_ctx=n_ctx,
            max_tokens=sampling.max_tokens, truncate=self.truncate)
        kept = len(fit.messages) - 1 - (1 if system else 0) - len(self.examples)
        return len(window) - max(kept, 0)

    def _stream(self, messages: list[Message], sampling: Sampling, constraint: dict[str, Any],
                record: Callable[[str], None]) -> Iterator[Event]:
        """Stream the reply to ``messages``; ``record`` keeps it, also when the user stops
        it (marked), so the next turn sees what the user saw."""
        parts: list[str] = []
        started = time.perf_counter()
        first: float | None = None
        prompt_tokens = completion_tokens = 0
        finish = ""
        try:
            for chunk in self.backend.stream_chat(messages, sampling, **constraint):
                if chunk.text:
                    if first is None:
                        first = time.perf_counter() - started
                    parts.append(chunk.text)
                    yield TextDelta(chunk.text)
                if chunk.finish_reason is not None:
                    prompt_tokens = chunk.prompt_tokens
                    completion_tokens = chunk.completion_tokens
                    finish = chunk.finish_reason
        except (GeneratorExit, KeyboardInterrupt):
            # Stopped by the user: keep what they saw, so the next turn makes sense.
            record("".join(parts) + INTERRUPTED)
            raise
        answer = "".join(parts)
        record(answer)
        total = time.perf_counter() - started
        yield Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds_to_first_token=first if first is not None else total,
            seconds_total=total,
            finish_reason=finish,
        )
        yield FinalAnswer(answer)

    def _fit(self, system_text: str, user_text: str, sampling: Sampling) -> FitResult:
        return fit_messages(
            Message("system", system_text) if system_text else None,
            [*self.examples, *self.history[self.folded:]],
            Message("user", user_text),
            count=self.backend.count_tokens,
            n_ctx=self.backend.context_size,
            max_tokens=sampling.max_tokens,
            truncate=self.truncate,
        )

    def record_exchange(self, user_msg: Message, answer: str) -> None:
        """Add one exchange to the history (and to memory, when attached)."""
        numbers: tuple[int | None, int | None] = (None, None)
        if self.memory is not None:
            numbers = self.memory.record(user_msg.content, answer)
        self.history += [user_msg, Message("assistant", answer)]
        self.turn_numbers += list(numbers)


def _constraint(grammar: str | None, json_schema: dict | None) -> dict[str, Any]:
    """The reply's constraints as backend keywords: only those set, so a backend without
    grammars need not take them."""
    constraint: dict[str, Any] = {}
    if grammar is not None:
        constraint["grammar"] = grammar
    if json_schema is not None:
        constraint["json_schema"] = json_schema
    return constraint
