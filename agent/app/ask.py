"""One-shot answers: a plain or templated question, grounded in documents, or a JSON document.

``lamp ask`` and its ``--docs``, ``--schema`` and ``-f`` share one shape: open
memory behind the model load, fit any attached files into what the context
leaves, put the question (``prepare.py``), wire memory in, then send. What
differs is the last step: a plain conversation turn, a grounded answer over
retrieved sources (citations checked when it ends), or an answer constrained by
the schema's grammar (validated when it ends).

Attached files come first in the user message, so the prompt up to their end is
the same for every question about them and is read once (``prefill.py``); the
answers that copy from their input may be drafted from it (``prompt_lookup``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lamp.agent.events import Event
from lamp.agent.grounded.answer import Source, ask_grounded, check_citations, grounded_system

from .prefill import (
    fixed_lead,
    fixed_messages,
    material_first,
    prefilled,
    recall_here,
    wants_lookup,
)
from .prepare import PreparedAsk, prepare_ask
from .requests import AskRequest, DocsRequest, SchemaRequest
from .result import Run, RunResult

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from lamp.agent.grounded.attachments import Attachment
    from lamp.agent.memory_link import StoreMemory
    from lamp.agent.models import Backend

    from .runtime import Runtime

__all__ = ["answer_ask", "attach_files", "attached_material", "cite_sources", "copies_input",
           "docs_sources"]


def answer_ask(request: AskRequest, rt: Runtime) -> Run:
    """Start answering ``request``; the model is asked when the run is iterated."""
    docs = isinstance(request, DocsRequest)
    schema = request.schema if isinstance(request, SchemaRequest) else None
    rt.open_memory(replace(request.memory, needs_store=request.memory.needs_store or docs))
    backend = rt.model()
    given = request.given
    files = ""
    if request.attachments:
        files = attached_material(rt, backend, request.attachments, question=given.prompt,
                                  material=given.material or "", system=rt.settings.system,
                                  budget_text=f"{given.prompt}\n{given.material or ''}",
                                  max_tokens=rt.settings.max_tokens,
                                  reserve=backend.context_size // 4 if docs else 128)
    settings = rt.settings

    def prepare(question: str) -> PreparedAsk:
        return prepare_ask(
            backend, rt.sampling(), prompt=material_first(files, question),
            material=given.material, system=settings.system, template=request.template,
            system_from_user="system" in rt.chosen,
            temperature_from_user="temperature" in rt.chosen,
            truncate=request.truncate, output=schema)

    prepared = prepare(given.prompt)
    conversation = prepared.conversation
    if wants_lookup(settings.prompt_lookup, copies_input(request)):
        conversation.sampling = replace(conversation.sampling, lookup=True)
    link = rt.attach_memory(conversation, load_history=True)
    lead: str | None = None  # the user message's start to warm with the prefix (None: none)
    if files and not conversation.history:
        recalled = recall_here(conversation, prepared.user_text)
        if recalled and request.template is None:
            prepared.user_text = prepare(f"{recalled}\n\n{given.prompt}").user_text
        elif recalled:
            conversation.system = f"{conversation.system}\n\n{recalled}".strip()
        lead = fixed_lead(lambda question: prepare(question).user_text)
    result = _result(rt, backend, request, prepared, link)
    warm = backend.capabilities.warm_input and not conversation.history

    def started(events: Iterator[Event], system: str, user_prefix: str | None
                ) -> Iterator[Event]:
        """The answer's events, after the prefix (``system``, the template's examples, the
        user message's first ``user_prefix``) is made current; None: no material."""
        if not warm or user_prefix is None:
            return events
        return prefilled(backend, fixed_messages(system, conversation.examples), user_prefix,
                         events, result)

    if isinstance(request, DocsRequest):
        result.grounded = True
        events, result.sources = _grounded(rt, request, prepared, link,
                                           question=given.prompt or prepared.user_text)
        if not result.sources:
            return Run(started(events, conversation.system, lead), result,
                       finish=cite_sources)
        # The sources end the system prompt: material to warm even without files.
        return Run(started(events, grounded_system(conversation.system, result.sources),
                           lead or ""), result, finish=cite_sources)
    if schema is not None:
        from lamp.agent.structured.output import send_for_schema

        max_tokens = prepared.conversation.sampling.max_tokens

        def validate(done: RunResult) -> None:
            done.answer = schema.validate(
                done.final.text if done.final is not None else "",
                finish_reason=done.usage.finish_reason if done.usage else "",
                max_tokens=max_tokens)

        result.structured = True
        return Run(started(send_for_schema(conversation, prepared.user_text, schema),
                           conversation.system_text(), lead), result, finish=validate)
    return Run(started(conversation.send(prepared.user_text), conversation.system_text(),
                       lead), result)


def copies_input(request: AskRequest) -> bool:
    """The answer repeats much of what it was given (attached files, piped material,
    sources, a document to extract from, a copying template): prompt lookup's case."""
    template = request.template
    return bool(request.attachments or request.given.material is not None
                or isinstance(request, (DocsRequest, SchemaRequest))
                or (template is not None and template.copies))


def _result(rt: Runtime, backend: Backend, request: AskRequest, prepared: PreparedAsk,
            link: StoreMemory | None) -> RunResult:
    return RunResult(model=backend.describe(), session=link.session if link else None,
                     template=request.template.name if request.template else None,
                     sampling=prepared.conversation.sampling.as_dict(),
                     notices=list(request.given.warnings), load_s=backend.load_seconds)


def attach_files(rt: Runtime, backend: Backend, attachments: Sequence[Attachment], *,
                 question: str, material: str, system: str, budget_text: str,
                 max_tokens: int, reserve: int) -> str:
    """The question with the attached files' text before it (``attached_material``)."""
    return material_first(attached_material(
        rt, backend, attachments, question=question, material=material, system=system,
        budget_text=budget_text, max_tokens=max_tokens, reserve=reserve), question)


def attached_material(rt: Runtime, backend: Backend, attachments: Sequence[Attachment], *,
                      question: str, material: str, system: str, budget_text: str,
                      max_tokens: int, reserve: int) -> str:
    """The attached files' text: whole when they fit what the context leaves after
    ``system``, ``budget_text``, the answer and ``reserve``, else their parts most
    relevant to the question (each cut announced)."""
    from lamp.agent.grounded.attachments import attach_budget, fit_attachments

    budget = attach_budget(backend, system, budget_text, max_tokens, reserve=reserve)
    attached = fit_attachments(attachments, question or material, budget, backend.count_text)
    for message in attached.notices:
        rt.output.warn(message)
    return attached.text


def cite_sources(result: RunResult) -> None:
    """A grounded answer may cite only the sources it was given (InvalidCitation)."""
    result.citations = check_citations(str(result.answer), len(result.sources)) \
        if result.sources else []


def docs_sources(rt: Runtime, backend: Backend, *, question: str, user_text: str,
                 system: str, max_tokens: int, reserve: int, store: Any | None,
                 url: str | None, collection: str | None, k: int) -> list[Source]:
    """Retrieve the sources for ``question`` from ``store`` (or a store opened for this,
    when memory is off, and closed again)."""
    from lamp.agent.grounded.sources import retrieve_sources, source_budget

    from .memory import open_store

    own = store is None
    if own:
        store = open_store(rt.memory_location(url))
    try:
        budget = source_budget(backend, system, user_text, max_tokens, reserve=reserve)
        return retrieve_sources(store, question, collection=collection, k=k, budget=budget,
                                backend=backend)
    finally:
        if own:
            store.close()


def _grounded(rt: Runtime, request: DocsRequest, prepared: PreparedAsk,
              link: StoreMemory | None, *, question: str
              ) -> tuple[Iterator[Event], list[Source]]:
    conversation = prepared.conversation
    store = link.store if link is not None and link.store is not None else None
    sources = docs_sources(rt, conversation.backend, question=question,
                           user_text=prepared.user_text, system=conversation.system,
                           max_tokens=conversation.sampling.max_tokens,
                           reserve=conversation.memory_budget if link is not None else 0,
                           store=store, url=request.memory.url,
                           collection=request.collection, k=request.sources)
    return ask_grounded(conversation, prepared.user_text, sources,
                        base_system=conversation.system), sources
