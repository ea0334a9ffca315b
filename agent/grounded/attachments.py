"""Files attached to a question (``lamp ask -f``, ``/attach``): whole when they fit, else
the parts most relevant to the question.

The model reads an attached file best whole, so that is the rule while the files
fit the token budget left after the system prompt, the question and the answer.
When they do not, each file is cut into the same paragraph chunks ingestion uses,
the chunks are ranked by BM25 against the question, and the best ones that fit go
in, put back in reading order under their file's name, with a notice saying how
much of which file was left out. Nothing is cut silently.

A file's text goes in a ``<file>`` frame it cannot close or forge (``framing.py``);
its name, on the line above, is made one plain line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..framing import frame, one_line
from ..models import Backend, Message

__all__ = ["AttachedMaterial", "Attachment", "attach_budget", "fit_attachments",
           "read_attachments"]


@dataclass(frozen=True)
class Attachment:
    name: str  # as the user named it (shown to the model and in notices)
    text: str


@dataclass(frozen=True)
class AttachedMaterial:
    text: str
    notices: list[str] = field(default_factory=list)
    whole: bool = True


def _whole(att: Attachment) -> str:
    return f"File: {one_line(att.name)}\n{frame('file', att.text.rstrip())}"


def fit_attachments(attachments: Sequence[Attachment], question: str, budget: int,
                    count_text: Callable[[str], int]) -> AttachedMaterial:
    """The attachments as prompt material within ``budget`` tokens."""
    if not attachments:
        return AttachedMaterial("")
    whole = "\n\n".join(_whole(a) for a in attachments)
    if count_text(whole) <= budget:
        return AttachedMaterial(whole)
    from lamp.memory._chunking import chunk_spans
    from lamp.memory.documents import bm25_rank

    # Parts of about a quarter of the budget (in characters, ~4 per token), so several
    # fit; never longer than ingestion's chunks.
    size = max(200, min(800, budget))
    pieces = [(f, off, text) for f, att in enumerate(attachments)
              for off, text in chunk_spans(att.text, size)]
    ranked = [i for i, _ in bm25_rank(question, [p[2] for p in pieces], len(pieces))]
    rest = [i for i in range(len(pieces)) if i not in set(ranked)]
    chosen: list[int] = []
    used = 0
    for i in ranked + rest:  # relevant first, then the rest in reading order
        cost = count_text(pieces[i][2]) + 8
        if used + cost <= budget:
            chosen.append(i)
            used += cost
    blocks, notices = [], []
    for f, att in enumerate(attachments):
        mine = sorted((pieces[i][1], pieces[i][2]) for i in chosen if pieces[i][0] == f)
        total = sum(1 for p in pieces if p[0] == f)
        if not mine:
            notices.append(f"{att.name} does not fit the context: nothing of it attached")
        elif len(mine) < total:
            notices.append(f"{att.name} does not fit the context whole: {len(mine)} of {total} "
                           "parts attached, the ones most relevant to the question")
        if mine:
            body = "\n[...]\n".join(text for _, text in mine)
            blocks.append(f"File: {one_line(att.name)} (excerpts)\n{frame('file', body)}")
    return AttachedMaterial("\n\n".join(blocks), notices, whole=False)


_MARGIN = 64  # tokens kept free for the chat template's wrapping of the material


def read_attachments(specs: Sequence[str], *, shown: Callable[[Path], str] = str,
                     cwd: Path | None = None) -> list[Attachment]:
    """The attached files' text, read before any model loads; ``MemoryInputError`` (exit 2,
    one line) for a bad path, an unreadable file or a kind lamp cannot read. ``cwd``:
    where relative paths and globs start (the caller's); ``shown``: a path as the user
    would write it (the name the model and the notices see)."""
    from lamp.memory.extract import expand_paths, read_document

    return [Attachment(shown(p), read_document(p))
            for p in expand_paths(list(specs), cwd=cwd)]


def attach_budget(backend: Backend, system: str, question: str, max_tokens: int,
                  reserve: int = 0) -> int:
    """Tokens left for attached material: the context minus the answer, the system prompt,
    the question, ``reserve`` (recalled memory, retrieved sources) and a margin."""
    used = backend.count_tokens([Message("system", system), Message("user", question)])
    return max(0, backend.context_size - max_tokens - used - reserve - _MARGIN)
