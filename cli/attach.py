"""Reading the files of ``lamp ask -f`` and ``/attach``: paths, globs and directories.

Everything is read before the model loads, so a bad path, an unreadable file or a
kind of file lamp cannot read exits 2 with one line at once instead of after a
model load (memory/extract.py says which files are read and how).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lamp.agent.grounded.attachments import AttachedMaterial, Attachment, fit_attachments
from lamp.agent.models import Backend, Message

__all__ = ["attach_budget", "attached_material", "read_attachments"]

_MARGIN = 64  # tokens kept free for the chat template's wrapping of the material


def _shown(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def read_attachments(specs: Sequence[str]) -> list[Attachment]:
    """The attached files' text; ``MemoryInputError`` (exit 2, one line) for a bad one."""
    from lamp.memory.extract import expand_paths, read_document

    return [Attachment(_shown(p), read_document(p)) for p in expand_paths(list(specs))]


def attach_budget(backend: Backend, system: str, question: str, max_tokens: int,
                  reserve: int = 0) -> int:
    """Tokens left for attached material: the context minus the answer, the system prompt,
    the question, ``reserve`` (recalled memory, retrieved sources) and a margin."""
    used = backend.count_tokens([Message("system", system), Message("user", question)])
    return max(0, backend.context_size - max_tokens - used - reserve - _MARGIN)


def attached_material(attachments: Sequence[Attachment], question: str, budget: int,
                      backend: Backend) -> AttachedMaterial:
    return fit_attachments(attachments, question, budget, backend.count_text)
