"""The loop behind `lamp ask --each`: inputs read, answered on their own, in input order."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import pytest

from lamp.agent.app.each import (
    EachInput,
    EachPrompt,
    EachResult,
    answer_each,
    read_json_lines,
    read_lines,
)
from lamp.agent.errors import BackendUnavailable, InputError, InvalidOutput, UsageError
from lamp.agent.events import Notice
from lamp.agent.models import Capabilities, Chunk, Message, Sampling, ScriptedBackend
from lamp.agent.structured.output import OutputSchema
from lamp.agent.templates import PromptTemplate

GREEDY = Sampling(temperature=0, max_tokens=32)


def results(events: Iterator[Notice | EachResult]) -> list[EachResult]:
    return [e for e in events if isinstance(e, EachResult)]


def test_lines_skip_blanks_and_keep_their_numbers() -> None:
    assert read_lines("first\n\n  \r\nsecond\r\n third \n") == [
        EachInput(1, "first"), EachInput(4, "second"), EachInput(5, "third")]


def test_json_lines_take_the_named_field_and_bad_lines_fail_alone() -> None:
    data = '{"text": "ok"}\nnot json\n{"id": 3}\n[1]\n{"text": 5}\n{"text": " "}\n\n'
    inputs = read_json_lines(data, "text")
    assert [(i.line, i.text) for i in inputs] == [(1, "ok"), (2, ""), (3, ""), (4, ""),
                                                  (5, ""), (6, "")]
    errors = [str(i.error) for i in inputs[1:]]
    assert errors[0].startswith("not valid JSON")
    assert errors[1:] == ["the JSON has no field 'text'", "the JSON has no field 'text'",
                          "the JSON has no text in field 'text'", "field 'text' is empty"]
    assert all(isinstance(i.error, InputError) for i in inputs[1:])


def test_each_input_is_its_own_conversation_in_input_order() -> None:
    model = ScriptedBackend().enqueue("un", "deux", "trois")
    inputs = read_lines("one\ntwo\nthree\n")
    done = results(answer_each(model, GREEDY, EachPrompt(prompt="in French", system="S"),
                               inputs))
    assert [r.answer for r in done] == ["un", "deux", "trois"]
    assert [r.input.line for r in done] == [1, 2, 3]
    for (messages, _, _), word in zip(model.requests, ["one", "two", "three"], strict=True):
        assert [m.role for m in messages] == ["system", "user"]  # no earlier lines
        assert messages[-1].content.startswith("in French") and word in messages[-1].content


def test_without_a_prompt_the_line_is_the_question() -> None:
    model = ScriptedBackend().enqueue("4")
    results(answer_each(model, GREEDY, EachPrompt(), read_lines("2+2?")))
    assert model.requests[0][0][-1] == Message("user", "2+2?")


def test_the_fixed_prefix_is_warmed_once_with_the_template_examples() -> None:
    warmed: list[list[Message]] = []

    class Warm(ScriptedBackend):
        def warm_prefix(self, messages: Sequence[Message], tools: list[dict] | None = None
                        ) -> str:
            warmed.append(list(messages))
            return "miss" if len(warmed) == 1 else "live"

    model = Warm(capabilities=Capabilities(grammar=True, warm_prefix=True)).enqueue("a", "b")
    template = PromptTemplate(name="t", description="", system="Be brief.",
                              user="Label: {input}", examples=(("Label: x", "X"),))
    events = list(answer_each(model, GREEDY, EachPrompt(template=template),
                              read_lines("p\nq")))
    assert warmed == [[Message("system", "Be brief."), Message("user", "Label: x"),
                       Message("assistant", "X")]]
    assert events[0] == Notice("prefix cache: miss", level="debug")
    # Every request starts with exactly that prefix, so llama.cpp reuses its KV state.
    assert all(req[0][:3] == warmed[0] for req in model.requests)


def test_schema_per_line_a_bad_answer_fails_only_its_line() -> None:
    model = ScriptedBackend().enqueue('{"name": "Ada", "age": 36}', '{"name": "Bo", "age": "x"}',
                                      '{"name": "Bo", "age": "x"}',  # b's one retry
                                      '{"name": "Cy", "age": 7}')
    request = EachPrompt(output=OutputSchema.parse("name, age int"))
    done = results(answer_each(model, GREEDY, request, read_lines("a\nb\nc")))
    assert [r.answer for r in done] == [{"name": "Ada", "age": 36}, None, {"name": "Cy", "age": 7}]
    assert isinstance(done[1].error, InvalidOutput) and "$.age" in str(done[1].error)
    assert all(req[2] is not None for req in model.requests)  # each under the grammar


def test_a_bad_input_line_costs_no_model_call() -> None:
    model = ScriptedBackend().enqueue("fine")
    done = results(answer_each(model, GREEDY, EachPrompt(),
                               read_json_lines('oops\n{"q": "hi"}', "q")))
    assert [r.ok for r in done] == [False, True] and len(model.requests) == 1


def test_a_line_too_long_for_the_context_fails_alone() -> None:
    model = ScriptedBackend(context=60).enqueue("short")
    done = results(answer_each(model, GREEDY, EachPrompt(),
                               read_lines(("word " * 80) + "\nhi")))
    assert [r.ok for r in done] == [False, True]
    assert "context" in str(done[0].error)


def test_a_broken_backend_ends_the_run() -> None:
    class Down(ScriptedBackend):
        def stream_chat(self, *args, **kwargs) -> Iterator[Chunk]:
            raise BackendUnavailable("cannot reach model server")

    with pytest.raises(BackendUnavailable):
        results(answer_each(Down(), GREEDY, EachPrompt(), read_lines("a\nb")))


class Echo(ScriptedBackend):
    """Answers with the input, slower for earlier inputs, and records the most requests
    that were in flight at once."""

    def __init__(self) -> None:
        super().__init__(capabilities=Capabilities(grammar=True, concurrent=True))
        self.lock = threading.Lock()
        self.active = self.most = 0

    def stream_chat(self, messages, sampling, grammar=None, tools=None, json_schema=None):
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
        text = messages[-1].content
        time.sleep(0.05 if text == "n0" else 0.01)
        with self.lock:
            self.active -= 1
        yield Chunk(text.upper())
        yield Chunk("", prompt_tokens=3, completion_tokens=1, finish_reason="stop")


def test_parallel_keeps_n_in_flight_and_the_input_order() -> None:
    model = Echo()
    inputs = read_lines("\n".join(f"n{i}" for i in range(9)))
    done = results(answer_each(model, GREEDY, EachPrompt(), inputs, parallel=3))
    assert [r.answer for r in done] == [f"N{i}" for i in range(9)]
    assert model.most == 3


def test_parallel_on_a_backend_that_is_not_concurrent_goes_one_by_one() -> None:
    model = ScriptedBackend().enqueue("x", "y")
    events = list(answer_each(model, GREEDY, EachPrompt(), read_lines("a\nb"), parallel=2))
    assert isinstance(events[0], Notice) and "one by one" in events[0].message
    assert [r.answer for r in results(iter(events))] == ["x", "y"]


def test_a_schema_the_backend_cannot_enforce_is_refused_before_any_input() -> None:
    model = ScriptedBackend(capabilities=Capabilities())
    with pytest.raises(UsageError, match="cannot constrain"):
        results(answer_each(model, GREEDY, EachPrompt(output=OutputSchema.parse("name")),
                            read_lines("a")))
    assert model.requests == []


class Trickle(ScriptedBackend):
    """Streams each answer as many small pieces and counts the pieces it sent."""

    PIECES = 400

    def __init__(self) -> None:
        super().__init__(capabilities=Capabilities(grammar=True, concurrent=True))
        self.lock = threading.Lock()
        self.sent = 0

    def stream_chat(self, messages, sampling, grammar=None, tools=None, json_schema=None):
        fast = messages[-1].content == "first"
        for _ in range(1 if fast else self.PIECES):
            time.sleep(0 if fast else 0.005)
            with self.lock:
                self.sent += 1
            yield Chunk("x")
        yield Chunk("", prompt_tokens=3, completion_tokens=1, finish_reason="stop")


def test_answers_in_flight_stop_when_the_run_ends_early() -> None:
    # Ctrl-C (or a reader that goes away) closes the generator after the first result:
    # the two answers still streaming must stop at their next piece, not run to the end.
    model = Trickle()
    run = answer_each(model, GREEDY, EachPrompt(), read_lines("first\nslow1\nslow2"),
                      parallel=3)
    first = next(r for r in run if isinstance(r, EachResult))
    assert first.answer == "x"
    run.close()  # returns once the pool's threads are done
    assert model.sent < 1 + 2 * Trickle.PIECES // 2
