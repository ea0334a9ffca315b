"""Prefill once per input (prefill.py): what `ask -f` and `--docs` warm, and where memory goes.

On a scripted model that declares ``warm_input``: the prefix it is asked to warm
must be exactly the start of the prompt it is then sent, for every layout, and
must not depend on the question.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from lamp.agent.app.memory import MemoryChoice, open_store
from lamp.agent.app.output import Caller, Output
from lamp.agent.app.prefill import fixed_lead, wants_lookup
from lamp.agent.app.requests import AskRequest, DocsRequest, Given, SchemaRequest
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Preloaded, Runtime
from lamp.agent.events import Notice
from lamp.agent.grounded.attachments import Attachment
from lamp.agent.models import Capabilities, Message, ScriptedBackend
from lamp.agent.structured.output import OutputSchema
from lamp.agent.templates import BUILTIN_TEMPLATES

OFF = MemoryChoice(disabled=True)
FILE = Attachment("tide.md", "The Osk harbour keeps a tide log in a green ledger.\n" * 20)
WARMS = Capabilities(grammar=True, warm_prefix=True, warm_input=True)


def runtime(tmp_path: Path, backend: ScriptedBackend, **flags: object) -> Runtime:
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    return Runtime(dict(flags), Caller(output, dict(os.environ), tmp_path),
                   model_source=Preloaded(backend))


@pytest.fixture
def backend() -> ScriptedBackend:
    return ScriptedBackend(capabilities=WARMS)


@pytest.fixture
def rt(tmp_path: Path, backend: ScriptedBackend) -> Iterator[Runtime]:
    rt = runtime(tmp_path, backend)
    yield rt
    rt.close()


def asked(backend: ScriptedBackend, rt: Runtime, request: AskRequest, reply: str = "ok."
          ) -> tuple[list[Message], str | None, list[Message], list[object]]:
    """(warmed messages, warmed user prefix, the messages sent, the run's events)."""
    backend.enqueue(reply)
    run = answer(request, rt)
    events = list(run)
    (warmed, lead), = backend.warmed
    backend.warmed.clear()
    return warmed, lead, backend.requests[-1][0], [*events, run.result]


def test_a_file_is_warmed_up_to_where_the_question_starts(backend: ScriptedBackend,
                                                          rt: Runtime) -> None:
    warmed, lead, sent, events = asked(backend, rt, AskRequest(
        Given("What colour is the ledger?"), attachments=(FILE,), memory=OFF))
    assert lead is not None and lead.startswith("File: tide.md\n<file>")
    assert lead.endswith("</file>\n\n")
    assert sent[:-1] == warmed  # the system prompt, as sent
    assert sent[-1].content == lead + "What colour is the ledger?"
    assert Notice("prefix cache: live", level="debug") in events
    result = events[-1]
    assert result.details["prefix_cache"] == "live"  # type: ignore[attr-defined]
    assert "prefix_s" in result.details["timings"]  # type: ignore[attr-defined]
    # Another question about the same file: the same prefix, so the same cache entry.
    again, lead_again, sent_again, _ = asked(backend, rt, AskRequest(
        Given("Who keeps it?"), attachments=(FILE,), memory=OFF))
    assert (again, lead_again) == (warmed, lead)
    assert sent_again[-1].content.startswith(lead)


@pytest.mark.parametrize("template", ["summarize", "translate", "grammar", "sentiment"])
def test_templates_keep_the_file_before_what_varies(backend: ScriptedBackend, rt: Runtime,
                                                    template: str) -> None:
    request = AskRequest(Given("focus on colours"), template=BUILTIN_TEMPLATES[template],
                         attachments=(FILE,), memory=OFF)
    warmed, lead, sent, _ = asked(backend, rt, request)
    assert lead and "green ledger" in lead and sent[-1].content.startswith(lead)
    assert sent[:-1] == warmed  # the template's system prompt and examples


def test_a_schema_answer_warms_its_instructions_and_the_file(backend: ScriptedBackend,
                                                             rt: Runtime) -> None:
    request = SchemaRequest(Given("the ledger's colour"), schema=OutputSchema.parse("colour"),
                            attachments=(FILE,), memory=OFF)
    warmed, lead, sent, _ = asked(backend, rt, request, '{"colour": "green"}')
    assert lead and sent[-1].content.startswith(lead) and sent[:-1] == warmed
    assert "colour" in warmed[0].content  # the schema's instructions end the system prompt


def test_piped_material_comes_after_the_files(backend: ScriptedBackend, rt: Runtime) -> None:
    _, lead, sent, _ = asked(backend, rt, AskRequest(
        Given("compare them", "piped text\n"), attachments=(FILE,), memory=OFF))
    assert lead and lead.endswith("</file>\n\n")
    assert sent[-1].content.startswith(lead + "compare them\n\nInput:")


def test_nothing_is_warmed_without_files_or_without_the_capability(tmp_path: Path) -> None:
    backend = ScriptedBackend(capabilities=WARMS).enqueue("hi", "ok")
    rt = runtime(tmp_path, backend)
    try:
        answer(AskRequest(Given("hello"), memory=OFF), rt).consume()
        assert backend.warmed == []
        plain = ScriptedBackend().enqueue("ok")
        rt2 = runtime(tmp_path, plain)
        answer(AskRequest(Given("q"), attachments=(FILE,), memory=OFF), rt2).consume()
        rt2.close()
        assert plain.warmed == []  # the same prompt, no warm step
        assert plain.requests[0][0][-1].content.startswith("File: tide.md\n")
    finally:
        rt.close()


def test_the_lead_is_what_two_questions_share() -> None:
    def layout(question: str) -> str:
        return f"File: a\n<file>\nabc\n</file>\n\n{question}\n\nInput:\nxyz"

    assert fixed_lead(layout) == "File: a\n<file>\nabc\n</file>\n\n"
    assert fixed_lead(lambda q: q) == ""


def test_docs_warm_the_system_prompt_that_ends_with_the_sources(
        backend: ScriptedBackend, rt: Runtime, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "harbour.md").write_text("# Harbour\n\n" + FILE.text, encoding="utf-8")
    store = open_store(rt.memory_location())
    try:
        store.ingest(folder / "harbour.md")
    finally:
        store.close()
    warmed, lead, sent, _ = asked(backend, rt, DocsRequest(Given("Where is the log kept?"),
                                                           memory=OFF), "In a ledger [1].")
    assert lead == "" and len(warmed) == 1
    assert warmed[0].role == "system" and "[1] harbour.md" in warmed[0].content
    assert sent[0] == warmed[0]


def test_recalled_memory_goes_after_the_file_not_before_it(tmp_path: Path) -> None:
    backend = ScriptedBackend(capabilities=WARMS)
    rt = runtime(tmp_path, backend)
    store = open_store(rt.memory_location())
    try:
        store.remember("The harbour keeper is called Ilse.")
    finally:
        store.close()
    try:
        warmed, lead, sent, _ = asked(backend, rt, AskRequest(
            Given("Who is the harbour keeper?"), attachments=(FILE,)))
    finally:
        rt.close()
    system, user = sent[0].content, sent[-1].content
    assert "<memory>" not in system and system == warmed[0].content
    assert lead is not None and user.startswith(lead) and "<memory>" not in lead
    memory_at = user.index("<memory>")
    assert "Ilse" in user[memory_at:]
    assert user.index("</file>") < memory_at < user.index("Who is the harbour keeper?")


def test_prompt_lookup_is_asked_for_where_the_setting_wants_it(tmp_path: Path) -> None:
    assert not wants_lookup("off", True) and wants_lookup("on", False)
    assert wants_lookup("auto", True) and not wants_lookup("auto", False)
    for setting, request, expected in [
            ("auto", AskRequest(Given("q"), attachments=(FILE,), memory=OFF), True),
            ("auto", AskRequest(Given("hello"), memory=OFF), False),
            ("auto", AskRequest(Given("", "text"), template=BUILTIN_TEMPLATES["translate"],
                                memory=OFF), True),
            ("auto", AskRequest(Given("text"), template=BUILTIN_TEMPLATES["reply"],
                                memory=OFF), False),
            ("off", AskRequest(Given("q"), attachments=(FILE,), memory=OFF), False),
            ("on", AskRequest(Given("hello"), memory=OFF), True)]:
        backend = ScriptedBackend().enqueue("ok")
        rt = runtime(tmp_path, backend, prompt_lookup=setting)
        try:
            result = answer(request, rt).consume()
        finally:
            rt.close()
        assert backend.requests[0][1].lookup is expected, (setting, request)
        assert "lookup" not in (result.sampling or {})
