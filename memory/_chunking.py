"""Split documents into retrieval-sized chunks.

Chunks follow paragraphs where they can (a paragraph is the unit a reader
quotes), packed up to ``max_chars``; a paragraph longer than that is cut at
sentence ends, then hard-cut.  About 800 characters stays under the embedding
models' 256-512 token windows for English and Korean alike.
"""

from __future__ import annotations

import re

__all__ = ["chunk_text"]

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
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        paragraph = " ".join(paragraph.split())
        if len(paragraph) > max_chars:
            if current:
                chunks.append(current)
                current = ""
            chunks.extend(_split_long(paragraph, max_chars))
            continue
        if current and len(current) + 2 + len(paragraph) > max_chars:
            chunks.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks
