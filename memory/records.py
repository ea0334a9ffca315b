"""Plain records the memory store returns; frozen so callers can share them freely."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Fact",
    "RecalledItem",
    "SearchHit",
    "SessionInfo",
    "Turn",
    "approx_tokens",
    "fact_id",
    "new_session_name",
    "turn_id",
]


def turn_id(session: str, n: int, role: str) -> str:
    """Deterministic id: re-sending the same turn after a crash overwrites, never duplicates."""
    return f"turn:{session}:{n}:{role}"


def new_session_name() -> str:
    """A fresh session's name: when it started, plus a little randomness against clashes."""
    return time.strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def fact_id(text: str) -> str:
    """Facts are keyed by their normalised content, so remembering twice stores once."""
    norm = " ".join(text.split()).casefold()
    return "fact:" + hashlib.sha256(norm.encode("utf-8")).hexdigest()[:20]


def approx_tokens(text: str) -> int:
    """A cheap stand-in for a model tokenizer (about 4 characters per token)."""
    return max(1, (len(text) + 3) // 4)


@dataclass(frozen=True)
class Turn:
    """One message of a session; ``n`` counts messages from 0 within the session."""

    session: str
    n: int
    role: str
    text: str
    time: float
    model: str = ""

    @property
    def id(self) -> str:
        return turn_id(self.session, self.n, self.role)


@dataclass(frozen=True)
class Fact:
    """Something the user asked lamp to remember; recalled in every session."""

    id: str
    text: str
    time: float
    session: str = ""


@dataclass(frozen=True)
class SessionInfo:
    """A conversation: its name is what ``--session`` takes."""

    name: str
    created: float
    updated: float
    turns: int
    model: str = ""

    @property
    def next_turn(self) -> int:
        return self.turns


@dataclass(frozen=True)
class SearchHit:
    """A search result from any collection; ``distance`` is cosine distance (lower is closer)."""

    id: str
    kind: str
    text: str
    distance: float
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecalledItem:
    """A memory to put in the prompt: an earlier turn of this session, or a fact."""

    kind: str  # "turn" or "fact"
    id: str
    text: str
    distance: float
    tokens: int
    session: str = ""
    turn: int | None = None
    role: str | None = None
    time: float = 0.0
