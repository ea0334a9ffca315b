"""The running summary of a long chat: turns that leave the window are folded into it.

A chat that lasts a day outgrows any context window. Without a summary, the
oldest turns simply fall out of the prompt and the model forgets who the user is
and what was decided (memory recall brings back single turns by similarity, not
the thread). So when turns are dropped, the model itself rewrites a short summary
from the old one and the dropped turns, and the conversation keeps it in its
system prompt, marked as a summary and framed like recalled memory: it is
model-written text, so it must not read as lamp's own instructions.

Its cost is bounded: one call of at most ``SUMMARY_TOKENS`` tokens, greedy,
whenever turns are folded (the conversation folds several at once, so that this
happens once every few turns, not on each); the dropped turns given to it are the
newest that fit the context, and the summary kept is capped at ``SUMMARY_CHARS``.
It is written in the conversation's language (lamp.agent.language), since a small
model asked in English answers in English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .framing import frame, neutralize
from .language import detect_language
from .models import Backend, Message, Sampling, complete

__all__ = ["SUMMARY_CHARS", "SUMMARY_HEADING", "SUMMARY_TOKENS", "fold_summary",
           "summary_block"]

SUMMARY_TOKENS = 120  # most tokens the model may write for one summary
SUMMARY_CHARS = 900  # most characters of summary kept in the system prompt
SUMMARY_HEADING = "Summary of earlier conversation"
_OVERHEAD = 160  # tokens of the summary prompt besides the turns (instructions, template)
_PER_TURN = 1200  # characters of one dropped message given to the summarizer, at most

_INSTRUCTIONS = (
    "You keep a running summary of a conversation between a user and an assistant. "
    "Rewrite the summary so far together with the new turns as one short summary of at "
    "most three sentences: who the user is, what they asked for, facts, names, numbers "
    "and decisions worth keeping. Write only the summary, {language}."
)


def summary_block(summary: str) -> str:
    """How the summary stands in the system prompt: a heading that says what it is, and
    the text in a memory frame (model-written, so never lamp's own voice)."""
    return f"{SUMMARY_HEADING} (turns that no longer fit):\n{frame('memory', summary)}"


def fold_summary(backend: Backend, summary: str, dropped: Sequence[Message],
                 sampling: Sampling) -> str:
    """The summary rewritten with ``dropped`` folded in (``summary`` itself when nothing of
    them fits). ``sampling`` is the chat's: its seed and penalties, made greedy and short."""
    turns = _newest_that_fit(backend, summary, dropped)
    if not turns:
        return summary
    language = detect_language(" ".join(m.content for m in turns if m.role == "user"))
    prompt = [
        Message("system", _INSTRUCTIONS.format(
            language=f"in {language}" if language else "in the language of the conversation")),
        Message("user", f"Summary so far:\n{neutralize(summary) or '(none)'}\n\nNew turns:\n"
                        f"{frame('memory', _transcript(turns))}"),
    ]
    short = replace(sampling, temperature=0.0, max_tokens=SUMMARY_TOKENS, stop=())
    text, _ = complete(backend, prompt, short)
    return _capped(" ".join(text.split())) or summary


def _newest_that_fit(backend: Backend, summary: str, dropped: Sequence[Message]
                     ) -> list[Message]:
    """The newest dropped messages (each cut to ``_PER_TURN`` characters) whose text fits
    beside the summary and the answer; a chat reloaded with hundreds of turns gives only
    its latest to the summary."""
    budget = (backend.context_size - SUMMARY_TOKENS - _OVERHEAD
              - backend.count_text(summary or "x"))
    kept: list[Message] = []
    for message in reversed(dropped):
        text = message.content if len(message.content) <= _PER_TURN else \
            message.content[:_PER_TURN] + " …"
        cost = backend.count_text(text) + 8
        if cost > budget:
            break
        budget -= cost
        kept.append(Message(message.role, text))
    return kept[::-1]


def _transcript(turns: Sequence[Message]) -> str:
    who = {"user": "User", "assistant": "Assistant"}
    return "\n".join(f"{who.get(m.role, m.role)}: {m.content}" for m in turns)


def _capped(text: str) -> str:
    """At most ``SUMMARY_CHARS`` characters, cut at a sentence or word end."""
    if len(text) <= SUMMARY_CHARS:
        return text
    cut = text[:SUMMARY_CHARS]
    end = max(cut.rfind(". "), cut.rfind("。"))
    if end > SUMMARY_CHARS // 2:
        return cut[: end + 1].rstrip()
    return cut.rsplit(" ", 1)[0] + " …"
