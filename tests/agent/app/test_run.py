"""``answer(request, runtime)``: each request type on a scripted model, and the one JSON shape
(cli/render/structured.py) its result becomes in every mode."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lamp.agent.app.memory import MemoryChoice, open_store
from lamp.agent.app.output import Caller, Output
from lamp.agent.app.requests import (
    AskRequest,
    CmdRequest,
    DocsRequest,
    EachRequest,
    Given,
    PalRequest,
    SchemaRequest,
    ToolsRequest,
)
from lamp.agent.app.result import RunResult
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Preloaded, Runtime
from lamp.agent.errors import InvalidOutput, LampError, StepLimitReached, UsageError
from lamp.agent.events import Event, FinalAnswer, TextDelta
from lamp.agent.grounded.attachments import Attachment
from lamp.agent.models import ScriptedBackend
from lamp.agent.react.answer import ToolOptions
from lamp.agent.records import PalRecord, StepRecord
from lamp.agent.structured.output import OutputSchema
from lamp.agent.templates import BUILTIN_TEMPLATES
from lamp.cli.errors import exit_code_for
from lamp.cli.render import result_json
from lamp.cli.render._base import jsonable
from lamp.memory.errors import MemoryInputError

OFF = MemoryChoice(disabled=True)
TIDE = ("The Osk harbour keeps a tide log. The keeper writes the height of the tide "
        "at dawn and at dusk in a green ledger.\n")
CALC_CALL = ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n'
             "</tool_call>")
CALCULATOR = ToolOptions(tools="calculator", tool_format="native", route=False)
PROGRAM = ("```python\ndef solution():\n    apples = 3 * 4\n    eaten = 5\n"
           "    return apples - eaten\n```")


@dataclass
class Setup:
    rt: Runtime
    backend: ScriptedBackend
    output: Output

    @property
    def err(self) -> str:
        return self.output.stderr.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """A Runtime on a scripted model, for a caller in ``tmp_path`` with this test's
    LAMP_HOME (conftest) in its environment; nothing is written to the process's streams."""
    backend = ScriptedBackend()
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({}, Caller(output, dict(os.environ), tmp_path),
                 model_source=Preloaded(backend))
    yield Setup(rt, backend, output)
    rt.close()


def sent(backend: ScriptedBackend, request: int = -1) -> list[tuple[str, str]]:
    """The (role, content) messages of one request the model got."""
    messages, _, _ = backend.requests[request]
    return [(m.role, m.content) for m in messages]


# --- ask -------------------------------------------------------------------------------


def test_a_plain_question_streams_one_answer(setup: Setup) -> None:
    setup.backend.enqueue("Hello there.")
    run = answer(AskRequest(Given("hello", warnings=("stdin is not valid UTF-8",)),
                            memory=OFF), setup.rt)
    events = list(run)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello", " there."]
    result = run.result
    assert (result.answer, result.text) == ("Hello there.", "Hello there.")
    assert result.usage is not None and result.usage.finish_reason == "stop"
    assert result.model == {"backend": "scripted"} and result.session is None
    assert result.template is None and not result.structured and not result.grounded
    assert result.sampling is not None and result.sampling["max_tokens"] == 512
    assert result.notices == ["stdin is not valid UTF-8"]
    assert sent(setup.backend)[-1] == ("user", "hello")
    assert setup.err == ""


def test_piped_material_goes_with_the_question(setup: Setup) -> None:
    setup.backend.enqueue("Two lines.")
    answer(AskRequest(Given("summarize this", "line one\nline two\n"), memory=OFF),
           setup.rt).consume()
    role, text = sent(setup.backend)[-1]
    assert role == "user" and text.startswith("summarize this\n\nInput:")
    assert "line one\nline two" in text


def test_a_template_brings_its_prompt_system_and_temperature(setup: Setup) -> None:
    template = BUILTIN_TEMPLATES["summarize"]
    setup.backend.enqueue("Tides rise and fall.")
    result = answer(AskRequest(Given("", "A long text about tides.\n"), template=template,
                               memory=OFF), setup.rt).consume()
    assert result.answer == "Tides rise and fall." and result.template == "summarize"
    messages = sent(setup.backend)
    assert messages[0] == ("system", template.system)
    assert "A long text about tides." in messages[-1][1]
    _, sampling, _ = setup.backend.requests[-1]
    assert template.temperature is not None and sampling.temperature == template.temperature


def test_the_users_system_prompt_beats_the_templates(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue("ok")
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({"system": "Be terse."}, Caller(output, dict(os.environ), tmp_path),
                 model_source=Preloaded(backend))
    try:
        answer(AskRequest(Given("", "text"), template=BUILTIN_TEMPLATES["summarize"],
                          memory=OFF), rt).consume()
    finally:
        rt.close()
    assert sent(backend)[0] == ("system", "Be terse.")


def test_attached_files_that_fit_go_whole_before_the_question(setup: Setup) -> None:
    setup.backend.enqueue("Green.")
    result = answer(AskRequest(Given("What colour is the ledger?"),
                               attachments=(Attachment("notes.txt", TIDE),), memory=OFF),
                    setup.rt).consume()
    assert result.answer == "Green."
    text = sent(setup.backend)[-1][1]
    assert text.startswith("File: notes.txt\n") and TIDE.strip() in text
    assert text.endswith("What colour is the ledger?")
    assert setup.err == ""


def test_an_attachment_too_big_is_cut_and_the_caller_is_told(tmp_path: Path) -> None:
    backend = ScriptedBackend(context=1024).enqueue("Parts.")
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({"max_tokens": 128}, Caller(output, dict(os.environ), tmp_path),
                 model_source=Preloaded(backend))
    big = "\n\n".join(f"Paragraph {i}: " + "word " * 60 for i in range(60))
    try:
        answer(AskRequest(Given("Which paragraph?"), attachments=(Attachment("big.txt", big),),
                          memory=OFF), rt).consume()
    finally:
        rt.close()
    assert "(excerpts)" in sent(backend)[-1][1]
    assert output.stderr.getvalue().startswith(  # type: ignore[attr-defined]
        "lamp: warning: big.txt does not fit the context whole")


# --- schema ----------------------------------------------------------------------------


def test_a_schema_answer_is_the_parsed_document(setup: Setup) -> None:
    setup.backend.enqueue('{"name": "Ada", "age": 36}')
    run = answer(SchemaRequest(Given("Ada is 36"), schema=OutputSchema.parse("name, age int"),
                               memory=OFF), setup.rt)
    result = run.consume()
    assert result.answer == {"name": "Ada", "age": 36}
    assert result.structured and result.text == '{"name": "Ada", "age": 36}'
    _, sampling, grammar = setup.backend.requests[-1]
    assert grammar is not None and sampling.temperature == 0.0  # constrained, greedy


def test_an_invalid_document_fails_after_every_event(setup: Setup) -> None:
    setup.backend.enqueue("no person here", "no person here")  # the answer and its retry
    run = answer(SchemaRequest(Given("nobody"), schema=OutputSchema.parse("name, age int"),
                               memory=OFF), setup.rt)
    shown: list[Event] = []
    with pytest.raises(InvalidOutput, match="not valid JSON"):
        for event in run:
            shown.append(event)
    assert any(isinstance(e, FinalAnswer) for e in shown)
    assert run.result.answer == "no person here"


# --- docs ------------------------------------------------------------------------------


def test_docs_with_nothing_ingested_is_a_usage_error_before_the_model_is_asked(
        setup: Setup) -> None:
    with pytest.raises(MemoryInputError, match="no documents ingested yet") as raised:
        answer(DocsRequest(Given("Where is the tide written?"), memory=OFF), setup.rt)
    assert exit_code_for(raised.value) == 2
    assert setup.backend.requests == []


def _ingest(rt: Runtime, folder: Path) -> None:
    folder.mkdir()
    (folder / "harbour.md").write_text("# Harbour\n\n" + TIDE, encoding="utf-8")
    store = open_store(rt.memory_location())
    try:
        store.ingest(folder / "harbour.md")
    finally:
        store.close()


# --- tools -----------------------------------------------------------------------------


def test_tools_call_the_calculator_then_answer(setup: Setup) -> None:
    setup.backend.enqueue(CALC_CALL, "42")
    result = answer(ToolsRequest(Given("What is 6*7?"), tools=CALCULATOR, memory=OFF),
                    setup.rt).consume()
    assert result.answer == "42" and result.error is None and result.stopped is None
    assert result.details["tools"] == ["calculator"]
    assert (result.details["format"], result.details["route"]) == ("native", False)
    steps = result.details["steps"]
    assert [s.kind for s in steps] == ["action", "final"]
    assert all(isinstance(s, StepRecord) for s in steps)
    assert (steps[0].tool, steps[0].observation) == ("calculator", "42")
    assert len(setup.backend.requests) == 2


def test_tools_at_their_step_limit_keep_the_partial_answer_and_steps(setup: Setup) -> None:
    setup.backend.enqueue(CALC_CALL)
    options = ToolOptions(tools="calculator", tool_format="native", route=False, max_steps=1)
    result = answer(ToolsRequest(Given("What is 6*7?"), tools=options, memory=OFF),
                    setup.rt).consume()  # the step limit is not raised
    assert result.stopped == "step limit" and isinstance(result.error, StepLimitReached)
    assert result.answer.startswith("42\n(from calculator")
    assert [s.kind for s in result.details["steps"]] == ["action"]


def test_an_unknown_tool_fails_before_the_model_loads(tmp_path: Path) -> None:
    def no_model(settings: object) -> ScriptedBackend:
        raise AssertionError("the model must not be loaded")

    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({}, Caller(output, dict(os.environ), tmp_path), model_source=no_model)
    with pytest.raises(UsageError, match="teleport"):
        answer(ToolsRequest(Given("hi"), tools=ToolOptions(tools="calculator,teleport")), rt)


# --- PAL -------------------------------------------------------------------------------


@pytest.mark.integration  # the real sandbox runs the program
def test_pal_answers_with_the_value_the_sandbox_computed(setup: Setup) -> None:
    setup.backend.enqueue(PROGRAM)
    result = answer(PalRequest(Given("3 bags of 4 apples, 5 eaten: how many left?")),
                    setup.rt).consume()
    assert result.answer == "7" and result.error is None
    assert result.details["value"] == "7" and result.details["explanation"] is None
    assert "def solution():" in result.details["code"]
    assert isinstance(result.final.steps[0] if result.final else None, PalRecord)


@pytest.mark.integration
def test_pal_without_a_runnable_program_ends_with_an_error_not_a_raise(setup: Setup) -> None:
    # The first program, its one retry, then the 4 programs drawn because no value came.
    setup.backend.enqueue("```python\ndef solution():\n    return 1 / 0\n```",
                          "```python\ndef solution():\n    return undefined_name\n```",
                          *["```python\ndef solution():\n    return 2 / 0\n```"] * 4)
    result = answer(PalRequest(Given("1 / 0?")), setup.rt).consume()
    assert isinstance(result.error, LampError)
    assert str(result.error).startswith("no runnable program after")
    assert result.details["failure"] is not None


# --- what answer() does not take ---------------------------------------------------------


@pytest.mark.parametrize("request_", [CmdRequest(Given("list files")),
                                      EachRequest("x", "a\nb\n")])
def test_a_request_answer_does_not_take_is_a_usage_error(setup: Setup, request_: Any) -> None:
    with pytest.raises(UsageError, match=f"cannot answer a {type(request_).__name__}"):
        answer(request_, setup.rt)
    assert setup.backend.requests == []


# --- one JSON shape ----------------------------------------------------------------------

TOP = ["answer", "model", "session", "template", "sampling", "usage", "timings", "warnings"]
USAGE_KEYS = ["prompt_tokens", "completion_tokens", "finish_reason"]
TIMING_KEYS = ["load_s", "first_token_s", "generation_s", "tokens_per_s", "total_s"]


def _shape(result: RunResult) -> dict[str, Any]:
    """The --json object of ``result``, through JSON and back (records become dicts)."""
    payload = json.loads(json.dumps(result_json(result), default=jsonable))
    assert list(payload)[:len(TOP)] == TOP
    assert list(payload["usage"]) == USAGE_KEYS
    assert list(payload["timings"])[:len(TIMING_KEYS)] == TIMING_KEYS
    assert payload["model"] == {"backend": "scripted"}
    return payload


def test_json_of_a_plain_answer_is_the_common_shape_alone(setup: Setup) -> None:
    setup.backend.enqueue("Hello there.")
    payload = _shape(answer(AskRequest(Given("hello"), memory=OFF), setup.rt).consume())
    assert list(payload) == TOP and list(payload["timings"]) == TIMING_KEYS
    assert payload["answer"] == "Hello there." and payload["usage"]["finish_reason"] == "stop"


def test_json_of_a_templated_answer_names_the_template(setup: Setup) -> None:
    setup.backend.enqueue("Guten Morgen")
    payload = _shape(answer(AskRequest(Given("German", "Good morning\n"),
                                       template=BUILTIN_TEMPLATES["translate"], memory=OFF),
                            setup.rt).consume())
    assert list(payload) == TOP and payload["template"] == "translate"


def test_json_of_a_schema_answer_holds_the_document(setup: Setup) -> None:
    setup.backend.enqueue('{"name": "Ada", "age": 36}')
    payload = _shape(answer(SchemaRequest(Given("Ada is 36"),
                                          schema=OutputSchema.parse("name, age int"),
                                          memory=OFF), setup.rt).consume())
    assert list(payload) == TOP and payload["answer"] == {"name": "Ada", "age": 36}


def test_json_of_a_docs_answer_adds_sources_and_citations(setup: Setup,
                                                          tmp_path: Path) -> None:
    _ingest(setup.rt, tmp_path / "notes")
    setup.backend.enqueue("In a green ledger [1].")
    result = answer(DocsRequest(Given("Where does the keeper write the tide?"), memory=OFF),
                    setup.rt).consume()
    payload = _shape(result)
    assert list(payload) == [*TOP, "sources", "citations"]
    assert list(payload["timings"]) == TIMING_KEYS
    assert payload["citations"] == [1]
    assert payload["sources"][0]["cited"] is True
    assert "harbour.md" in json.dumps(payload["sources"][0])


def test_json_of_a_tool_answer_adds_tools_format_route_and_steps(setup: Setup) -> None:
    setup.backend.enqueue(CALC_CALL, "42")
    payload = _shape(answer(ToolsRequest(Given("What is 6*7?"), tools=CALCULATOR, memory=OFF),
                            setup.rt).consume())
    assert list(payload) == [*TOP, "tools", "format", "route", "steps"]
    assert list(payload["timings"]) == TIMING_KEYS
    assert [s["kind"] for s in payload["steps"]] == ["action", "final"]


def test_json_of_a_tool_run_at_its_step_limit_says_it_stopped(setup: Setup) -> None:
    setup.backend.enqueue(CALC_CALL)
    options = ToolOptions(tools="calculator", tool_format="native", route=False, max_steps=1)
    payload = _shape(answer(ToolsRequest(Given("What is 6*7?"), tools=options, memory=OFF),
                            setup.rt).consume())
    assert list(payload) == [*TOP, "stopped", "tools", "format", "route", "steps"]
    assert payload["stopped"] == "step limit" and len(payload["steps"]) == 1


@pytest.mark.integration  # the real sandbox runs the program
def test_json_of_a_pal_answer_merges_its_record_and_timings(setup: Setup) -> None:
    setup.backend.enqueue(PROGRAM)
    payload = _shape(answer(PalRequest(Given("3 bags of 4 apples, 5 eaten: how many left?")),
                            setup.rt).consume())
    assert list(payload["timings"]) == [*TIMING_KEYS, "model_s", "sandbox_s", "doubt_s"]
    assert payload["answer"] == "7" and payload["value"] == "7"
    for key in ("question", "code", "programs", "votes", "attempts", "explanation"):
        assert key in payload
    assert list(payload).count("timings") == 1 and payload["usage"]["finish_reason"] == "stop"
