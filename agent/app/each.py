"""Many inputs, one prompt, one model load (``lamp ask --each``).

Scripts used to call ``lamp ask`` once per line and paid for a model load and
the whole prompt prefix every time. Here every input is answered on its own,
as a fresh one-shot conversation (no history: one line's answer must not
depend on the lines before it), but the model stays loaded and the fixed
prefix (system prompt, schema instructions, a template's worked examples) is
evaluated once: ``warm_prefix`` makes its KV state current (or loads it from
the disk cache), and llama.cpp keeps the common prefix between requests.

A line that fails for reasons of its own (not JSON, too long for the context,
an answer off the schema) becomes a failed ``EachResult`` and the run goes
on, so a thousand good answers are never lost to one bad line. A failure
that would fail every line (the server is down, the model broke) ends the run.
Results come back in input order, also with ``parallel`` requests in flight.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..conversation import Conversation
from ..errors import ContextOverflow, InputError, InvalidOutput, LampError
from ..events import Notice, Usage
from ..models import Backend, Message, Sampling
from ..structured.output import OutputSchema, send_for_schema
from ..templates import PromptTemplate
from .prepare import prepare_ask
from .requests import EachRequest
from .result import RunResult

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["EachInput", "EachPrompt", "EachResult", "EachRun", "answer_each", "answer_many",
           "read_json_lines", "read_lines"]


@dataclass(frozen=True)
class EachInput:
    """One input: its 1-based line number on stdin, and its text or why it has none."""

    line: int
    text: str = ""
    error: InputError | None = None


def read_lines(data: str) -> list[EachInput]:
    """One input per line; blank lines are skipped (as xargs does), so a trailing newline
    or a separating blank line never costs a model call."""
    return [EachInput(n, line.strip()) for n, line in enumerate(data.splitlines(), 1)
            if line.strip()]


def read_json_lines(data: str, field_name: str) -> list[EachInput]:
    """JSON lines, the input in ``field_name``; a bad line is an input that fails alone."""
    inputs = []
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            inputs.append(EachInput(n, error=InputError(f"not valid JSON: {exc}")))
            continue
        value = record.get(field_name) if isinstance(record, dict) else None
        if not isinstance(value, str):
            why = "has no field" if not isinstance(record, dict) or field_name not in record \
                else "has no text in field"
            inputs.append(EachInput(n, error=InputError(f"the JSON {why} {field_name!r}")))
        elif not value.strip():
            inputs.append(EachInput(n, error=InputError(f"field {field_name!r} is empty")))
        else:
            inputs.append(EachInput(n, value.strip()))
    return inputs


@dataclass(frozen=True)
class EachPrompt:
    """What every input is asked with: ``lamp ask``'s prompt, template and schema."""

    prompt: str = ""  # the request each input is material for ("" : the input is the question)
    system: str = ""
    template: PromptTemplate | None = None
    system_from_user: bool = False
    temperature_from_user: bool = False
    truncate: bool = False
    output: OutputSchema | None = None

    def conversation(self, backend: Backend, sampling: Sampling, text: str
                     ) -> tuple[Conversation, str]:
        prepared = prepare_ask(backend, sampling, prompt=self.prompt, material=text,
                               system=self.system, template=self.template,
                               system_from_user=self.system_from_user,
                               temperature_from_user=self.temperature_from_user,
                               truncate=self.truncate, output=self.output)
        return prepared.conversation, prepared.user_text


@dataclass(frozen=True)
class EachResult:
    """``answer``: the text, or with a schema the validated document; None when ``error``."""

    input: EachInput
    answer: Any = None
    usage: Usage | None = None
    error: LampError | None = None
    notices: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


# Errors that belong to one input; any other error would fail every input, so it ends the run.
_PER_INPUT = (InputError, ContextOverflow, InvalidOutput)


def answer_each(backend: Backend, sampling: Sampling, request: EachPrompt,
                inputs: Sequence[EachInput], *, parallel: int = 1
                ) -> Iterator[Notice | EachResult]:
    """An ``EachResult`` per input, in input order (and a ``Notice`` for the prefix cache).

    ``parallel`` > 1 keeps that many requests in flight on threads, for a model server
    that batches them; a backend that does not declare ``concurrent`` gets them one by
    one, with a warning.
    """
    if parallel > 1 and not backend.capabilities.concurrent:
        yield Notice("--parallel: this model backend takes one request at a time "
                     "(llama-cpp-python's server cuts a running answer short when the next "
                     "arrives); answering the inputs one by one")
        parallel = 1
    if request.output is not None:  # refuse a backend that cannot constrain before any input
        request.output.constraint(backend.capabilities)
    good = next((i for i in inputs if i.error is None), None)
    if good is not None and backend.capabilities.warm_prefix:
        conversation, _ = request.conversation(backend, sampling, good.text)
        status = backend.warm_prefix(_fixed_prefix(conversation))
        yield Notice(f"prefix cache: {status}", level="debug")
    if parallel <= 1:
        for item in inputs:
            yield _answer_one(backend, sampling, request, item)
        return
    yield from _in_flight(backend, sampling, request, inputs, parallel)


def _in_flight(backend: Backend, sampling: Sampling, request: EachPrompt,
               inputs: Sequence[EachInput], parallel: int) -> Iterator[EachResult]:
    """At most ``parallel`` requests at once, results yielded in input order as they
    complete. When the run ends early (a run-ending error, Ctrl-C, the caller stops
    reading) inputs not yet sent are cancelled and answers in flight stop at their next
    streamed piece, so the process does not wait for answers nobody will read."""
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="lamp-each")
    stop = threading.Event()
    pending: list[Future[EachResult]] = []
    ahead = iter(inputs)
    try:
        for item in ahead:
            pending.append(pool.submit(_answer_one, backend, sampling, request, item, stop))
            if len(pending) >= parallel:
                break
        while pending:
            result = pending.pop(0).result()  # re-raises a run-ending error
            following = next(ahead, None)
            if following is not None:
                pending.append(
                    pool.submit(_answer_one, backend, sampling, request, following, stop))
            yield result
    finally:
        stop.set()
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _fixed_prefix(conversation: Conversation) -> list[Message]:
    """The messages every input shares: the system prompt and a template's examples."""
    system = [Message("system", conversation.system)] if conversation.system else []
    return [*system, *conversation.examples]


def _answer_one(backend: Backend, sampling: Sampling, request: EachPrompt,
                item: EachInput, stop: threading.Event | None = None) -> EachResult:
    if item.error is not None:
        return EachResult(item, error=item.error)
    got = RunResult()
    try:
        conversation, user_text = request.conversation(backend, sampling, item.text)
        events = (send_for_schema(conversation, user_text, request.output)
                  if request.output is not None else conversation.send(user_text))
        with closing(events) as stream:
            for event in stream:
                if stop is not None and stop.is_set():
                    break  # closing() ends the stream, and with it the request
                got.absorb(event)
        text = got.final.text if got.final is not None else ""
        answer: Any = text.strip()
        if request.output is not None:
            answer = request.output.validate(
                text, finish_reason=got.usage.finish_reason if got.usage else "",
                max_tokens=conversation.sampling.max_tokens)
    except _PER_INPUT as exc:
        return EachResult(item, usage=got.usage, error=exc, notices=tuple(got.notices),
                          seconds=got.total_s)
    return EachResult(item, answer=answer, usage=got.usage, notices=tuple(got.notices),
                      seconds=got.total_s)


@dataclass(frozen=True)
class EachRun:
    """A started ``--each`` run: its inputs (for a progress bar) and its results."""

    inputs: list[EachInput]
    results: Iterator[Notice | EachResult]


def answer_many(request: EachRequest, rt: Runtime) -> EachRun:
    """``ask --each``: every input of ``request.material`` answered on its own, with the
    user's prompt, template and schema, on one model."""
    inputs = (read_json_lines(request.material, request.field) if request.field is not None
              else read_lines(request.material))
    chosen = rt.chosen
    prompt = EachPrompt(prompt=request.prompt, system=rt.settings.system,
                        template=request.template, system_from_user="system" in chosen,
                        temperature_from_user="temperature" in chosen,
                        truncate=request.truncate, output=request.schema)
    backend = rt.model()
    sampling = rt.sampling()
    results = answer_each(backend, sampling, prompt, inputs, parallel=request.parallel)
    if rt.log is not None:  # each input a run of its own in the run log
        from .runlog import record_each

        results = record_each(rt, request, backend.describe(), sampling.as_dict(), results)
    return EachRun(inputs, results)
