"""Grounded answers: numbered sources within a budget, the citation grammar (compiled by
llama.cpp's own parser), the check, and both backend kinds (scripted model)."""

from __future__ import annotations

import pytest

from lamp.agent.conversation import Conversation
from lamp.agent.errors import InvalidCitation
from lamp.agent.events import FinalAnswer, Notice, TextDelta
from lamp.agent.grounded.answer import (
    Source,
    ask_grounded,
    check_citations,
    citation_grammar,
    cited_numbers,
    fit_sources,
)
from lamp.agent.grounded.attachments import Attachment, fit_attachments
from lamp.agent.models import Capabilities, Sampling
from lamp.agent.models.scripted import ScriptedBackend
from lamp.cli.errors import exit_code_for

llama_cpp = pytest.importorskip("llama_cpp")

SOURCES = [Source(n=1, label="bridge.md", text="The footbridge opened in 1932.", path="/d/b.md"),
           Source(n=2, label="도서관.txt", text="도서관은 2009년에 문을 열었다.", path="/d/l.txt")]


def test_cited_numbers_and_check() -> None:
    assert cited_numbers("Opened in 1932 [1]. 도서관은 2009년 [2][1]. See [1, 2] and [note].") \
        == [1, 2, 1, 1, 2]
    assert check_citations("It opened in 1932 [1].", 2) == [1]
    assert check_citations("No sources say so.", 2) == []
    with pytest.raises(InvalidCitation, match=r"cites source\(s\) 3 but only 1-2") as info:
        check_citations("It opened in 1932 [3].", 2)
    assert exit_code_for(info.value) == 1
    with pytest.raises(InvalidCitation):
        check_citations("Both [0].", 2)


@pytest.mark.parametrize("n", [1, 3, 12])
def test_citation_grammar_compiles_in_llama_cpp(n: int) -> None:
    grammar = citation_grammar(n)
    assert llama_cpp.LlamaGrammar.from_string(grammar, verbose=False) is not None
    assert f'"{n}"' in grammar and f'"{n + 1}"' not in grammar
    with pytest.raises(ValueError):
        citation_grammar(0)


def test_fit_sources_keeps_what_fits_and_renumbers() -> None:
    big = Source(n=1, label="big.md", text="word " * 400)
    fitted = fit_sources([big, *SOURCES], budget=60, count_text=lambda t: len(t) // 4)
    assert [(s.n, s.label) for s in fitted] == [(1, "bridge.md"), (2, "도서관.txt")]


def test_grounded_answer_uses_the_grammar_and_the_sources() -> None:
    backend = ScriptedBackend().enqueue("도서관은 2009년에 열었다 [2].")
    conv = Conversation(backend=backend, sampling=Sampling(max_tokens=64), system="Be brief.")
    events = list(ask_grounded(conv, "도서관은 언제 열었나요?", SOURCES, base_system="Be brief."))
    assert isinstance(events[-1], FinalAnswer) and events[-1].text.endswith("[2].")
    messages, _, grammar = backend.requests[0]
    assert grammar == citation_grammar(2)
    assert "[2] 도서관.txt" in messages[0].content and "2009" in messages[0].content
    assert conv.system == "Be brief."  # restored for the next turn


def test_a_backend_ignoring_the_grammar_is_still_caught() -> None:
    backend = ScriptedBackend().enqueue("It opened in 1932 [7].")
    conv = Conversation(backend=backend, sampling=Sampling(max_tokens=64))
    with pytest.raises(InvalidCitation):
        list(ask_grounded(conv, "When?", SOURCES, base_system=""))


def test_without_grammar_the_answer_is_held_back_and_checked() -> None:
    backend = ScriptedBackend(capabilities=Capabilities(grammar=False))
    backend.enqueue("It opened in 1932 [5].", "It opened in 1932 [1].")
    conv = Conversation(backend=backend, sampling=Sampling(max_tokens=64))
    shown = []
    with pytest.raises(InvalidCitation):
        for event in ask_grounded(conv, "When?", SOURCES, base_system=""):
            shown.append(event)
    assert not any(isinstance(e, TextDelta) for e in shown)  # nothing invented was shown
    events = list(ask_grounded(conv, "When?", SOURCES, base_system=""))
    assert backend.requests[-1][2] is None
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "It opened in 1932 [1]."


def test_no_sources_answers_plainly_with_a_notice() -> None:
    backend = ScriptedBackend().enqueue("I do not know.")
    conv = Conversation(backend=backend, sampling=Sampling(max_tokens=64))
    events = list(ask_grounded(conv, "When?", [], base_system=""))
    assert isinstance(events[0], Notice) and backend.requests[0][2] is None


def test_attachments_whole_when_they_fit_else_relevant_parts() -> None:
    small = Attachment("notes.md", "The meeting moved to Thursday.")
    whole = fit_attachments([small], "When is the meeting?", 500, lambda t: len(t) // 4)
    assert whole.whole and "File: notes.md" in whole.text and not whole.notices
    filler = "\n\n".join(f"Paragraph {i} talks about weather and gardens." for i in range(60))
    long = Attachment("long.md", filler + "\n\nThe vault code is 7341, kept by Mira.")
    part = fit_attachments([long], "What is the vault code?", 120, lambda t: len(t) // 4)
    assert not part.whole and "7341" in part.text and "(excerpts)" in part.text
    assert part.notices and part.notices[0].startswith("long.md does not fit")
