"""Split documents into retrieval-sized chunks.

Chunks follow paragraphs where they can (a paragraph is the unit a reader
quotes), packed up to ``max_chars``; a paragraph longer than that is cut at
sentence ends, then hard-cut.  About 800 characters stays under the embedding
models' 256-512 token windows for English and Korean alike.
"""

from __future__ import annotations

import re

__all__ = ["chunk_spans", "chunk_text"]

_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+")


def _split_long(paragraph: str, max_chars: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        while len(sentence) > max_chars:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + 1 + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return pieces


def chunk_text(text: str, max_chars: int = 800) -> list[str]:
    """Chunks of at most ``max_chars`` characters, none empty, in document order."""
    return [chunk for _, chunk in chunk_spans(text, max_chars)]


def chunk_spans(text: str, max_chars: int = 800) -> list[tuple[int, str]]:
    """``chunk_text`` with where each chunk starts in ``text`` (a character offset).

    The offset is exact for a chunk that starts a paragraph; for the later pieces of
    a paragraph cut at sentence ends it is estimated from the pieces' lengths, since
    whitespace inside a paragraph is collapsed.
    """
    chunks: list[tuple[int, str]] = []
    current, start = "", 0
    for match in re.finditer(r"\S(?:.*?\S)?(?=\n\s*\n|\s*\Z)", text, re.S):
        paragraph, at = " ".join(match.group().split()), match.start()
        if len(paragraph) > max_chars:
            if current:
                chunks.append((start, current))
                current = ""
            offset = at
            for piece in _split_long(paragraph, max_chars):
                chunks.append((offset, piece))
                offset += len(piece) + 1
            continue
        if current and len(current) + 2 + len(paragraph) > max_chars:
            chunks.append((start, current))
            current, start = paragraph, at
        else:
            if not current:
                start = at
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append((start, current))
    return chunks
