"""Prefill once per input and prompt lookup, with the real default model (greedy, short).

A ~600-token attached file: its prefix is computed and saved by the first answer,
current in the same process (as in `lamp serve`), loaded from disk by a fresh
context, and every answer is the same as without the cache.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.output import Caller, Output
from lamp.agent.app.requests import AskRequest, Given
from lamp.agent.app.run import answer
from lamp.agent.app.runtime import Preloaded, Runtime
from lamp.agent.config.settings import Settings
from lamp.agent.grounded.attachments import Attachment, fit_attachments
from lamp.agent.models import Message, Sampling
from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions
from lamp.agent.models.prefix_cache import PrefixCache
from lamp.agent.templates import BUILTIN_TEMPLATES

pytestmark = pytest.mark.integration

TEXT = """The harbour at Osk is small, but it has kept a tide log without a gap since 1911. \
Every morning at dawn and every evening at dusk the harbour keeper walks to the end of the \
north pier, reads the height of the water on the painted gauge, and writes it in a green \
ledger with the date, the time, the wind direction and a word or two about the sea. The \
ledgers are kept in a locked cabinet in the harbour office; there are now forty-three of them.

The log was started by Agnes Lind, the first keeper, after a storm surge in the winter of \
1910 flooded the fish market and carried two boats onto the road. She believed that if the \
town knew how the tides behaved, it could see the next surge coming. Her successors kept the \
habit even when the tide tables printed in the city made it seem unnecessary.

In 2019 a student from the university asked to borrow the ledgers. She typed every reading \
into a spreadsheet, more than sixty thousand of them, and found that the average high tide \
at Osk had risen by eleven centimetres in a century. The town council now uses her figures \
to decide how high to build the new sea wall, which is planned for 2027.

The Millbrook Free Library, two valleys inland, opened in 1893 in a single room above the \
post office. It was paid for by mill workers who each gave one penny a week for two years, \
and its first collection was 312 books. In 1926 the town bought the old grain store on \
Bridge Street and turned it into the library building that still stands today, with a \
reading room, a children's corner and space for ten thousand books. Margaret Hale, the first \
paid librarian, started the Saturday story hour, which is still held every week. The library \
nearly closed in 1981 when the mills shut down; residents kept it open with book sales and \
concerts until the county took over its funding in 1985.

Between the two towns runs the old mill road, twelve kilometres of gravel that the county \
paved in 1964. A bus goes along it four times a day, and in summer a ferry from Osk crosses \
the bay to the fishing village of Tarn, where the only bakery on the coast sells rye bread \
baked in a wood-fired oven. The ferry runs from May to September, leaves Osk at nine and at \
three, and takes forty minutes; bicycles travel free, dogs must stay on a lead, and the \
captain, a cousin of the harbour keeper, rings the bell twice before every departure.
"""
FILE = (Attachment("osk.md", TEXT),)
OFF = MemoryChoice(disabled=True)
QUESTIONS = ("Who started the tide log?", "When is the sea wall planned?")


def open_model(model: Path, cache: PrefixCache | None) -> LlamaCppBackend:
    return LlamaCppBackend(LlamaOptions(model, n_ctx=2048, prefix_cache=cache,
                                        model_sha256=lambda: "a" * 64))


def ask(backend: LlamaCppBackend, tmp_path: Path, question: str) -> tuple[str, Any]:
    """One `lamp ask -f osk.md QUESTION --temperature 0 --max-tokens 16` on ``backend``
    (a new Runtime each time, as each command `lamp serve` answers gets)."""
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({"temperature": 0, "max_tokens": 16},
                 Caller(output, dict(os.environ), tmp_path), model_source=Preloaded(backend))
    try:
        result = answer(AskRequest(Given(question), attachments=FILE, memory=OFF), rt).consume()
    finally:
        rt.close()
    return result.text, result.details.get("prefix_cache")


def test_a_file_is_read_once_live_then_from_disk(default_model: Path, tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path / "prefix")
    served = open_model(default_model, cache)
    first, status = ask(served, tmp_path, QUESTIONS[0])
    assert status == "miss"
    (entry,) = cache.entries()
    assert entry.is_input
    second, status = ask(served, tmp_path, QUESTIONS[1])
    assert status == "live"  # `lamp serve`: the same context still holds the file

    fresh = open_model(default_model, cache)  # the next one-shot process
    again, status = ask(fresh, tmp_path, QUESTIONS[1])
    assert (again, status) == (second, "hit")
    del served, fresh

    uncached = open_model(default_model, None)
    assert ask(uncached, tmp_path, QUESTIONS[0]) == (first, "off")
    assert ask(uncached, tmp_path, QUESTIONS[1]) == (second, "off")


def test_the_warmed_tokens_begin_every_questions_prompt(default_model: Path) -> None:
    vocab = LlamaCppBackend(LlamaOptions(default_model, n_ctx=2048, vocab_only=True))
    system = [Message("system", Settings().system)]
    lead = fit_attachments(FILE, "q", 10_000, len).text + "\n\n"  # as `ask -f` lays it out
    warmed = vocab.prefix_tokens(system, user_prefix=lead)
    assert len(warmed) >= 512
    for question in (*QUESTIONS, "¿Quién?", " leading space", "\n\nblank lines first", ""):
        prompt = vocab.tokenize(vocab.render([*system, Message("user", lead + question)]))
        n = next((i for i, (a, b) in enumerate(zip(warmed, prompt, strict=False)) if a != b),
                 len(warmed))
        assert n >= len(warmed) - 2, question  # at most the file's last token re-read


def test_the_cli_says_hit_for_a_second_question(run_lamp: Callable[..., Any],
                                                tmp_path: Path) -> None:
    (tmp_path / "osk.md").write_text(TEXT, encoding="utf-8")
    common = ["ask", "--no-memory", "--verbose", "--temperature", "0", "--max-tokens", "16",
              "-f", str(tmp_path / "osk.md")]
    first = run_lamp(*common, QUESTIONS[0])
    assert first.returncode == 0, first.stderr.decode()
    assert b"prefix cache: miss" in first.stderr
    second = run_lamp(*common, QUESTIONS[0])
    assert second.returncode == 0, second.stderr.decode()
    assert b"prefix cache: hit" in second.stderr
    assert second.stdout == first.stdout


def test_prompt_lookup_against_plain_greedy(default_model: Path) -> None:
    """Drafts are checked in batches, and on this project's CPUs batched logits differ
    from one-token logits (by up to ~0.4 on the 0.5B, 2026-12-08): a near tie can fall the
    other way, so the answer may change in late tokens. Hence prompt_lookup is off by
    default; when the two answers agree here, nothing is claimed beyond this task."""
    backend = open_model(default_model, None)
    shots, user = BUILTIN_TEMPLATES["summarize"].render("", TEXT)
    messages = [Message("system", BUILTIN_TEMPLATES["summarize"].system), *shots,
                Message("user", user)]
    greedy = Sampling(temperature=0, max_tokens=16)
    plain = "".join(c.text for c in backend.stream_chat(messages, greedy))
    drafted = "".join(c.text for c in backend.stream_chat(messages, replace(greedy,
                                                                           lookup=True)))
    assert plain.strip() and drafted.strip()
    if drafted != plain:
        assert Settings().prompt_lookup == "off"
    assert Settings().prompt_lookup == "off"
