"""Recall: what to put back into the prompt when the history no longer fits.

Before each answer the caller asks for memories related to the user's message:
earlier turns of *this* session that are no longer in the context window, and
remembered facts from *any* session.  They are ranked by cosine distance and
packed greedily into a token budget counted with the caller's tokenizer (the
model's own, so the budget is exact); an item too big for what is left is
skipped, not cut, because half a sentence of memory misleads more than none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .records import RecalledItem, approx_tokens

if TYPE_CHECKING:
    from .store import MemoryStore

__all__ = ["format_memory", "recall"]


def recall(
    store: MemoryStore,
    query: str,
    *,
    session: str,
    exclude_turns: Iterable[int] | None = None,
    k: int = 6,
    token_budget: int = 512,
    count_tokens: Callable[[str], int] = approx_tokens,
    max_distance: float | None = None,
) -> list[RecalledItem]:
    """Most relevant earlier turns of ``session`` (minus ``exclude_turns``, the ones
    still in the window) and facts, best first, within ``token_budget`` tokens.

    ``max_distance`` drops items farther than that cosine distance (None keeps all
    ``k``; e5 distances are compressed, see docs/memory.md).
    """
    if not query.strip() or token_budget <= 0 or k <= 0:
        return []
    excluded = sorted(set(exclude_turns or ()))
    turn_filter: dict = {"session": session}
    if excluded:
        turn_filter = {"$and": [{"session": session}, {"turn": {"$nin": excluded}}]}
    hits = store.query(query, kinds=("turn", "fact"), k=k, where={"turn": turn_filter})
    items: list[RecalledItem] = []
    used = 0
    for hit in hits:
        if max_distance is not None and hit.distance > max_distance:
            continue
        meta = hit.metadata
        is_turn = hit.kind == "turn"
        item = RecalledItem(
            kind=hit.kind,
            id=hit.id,
            text=hit.text,
            distance=hit.distance,
            tokens=count_tokens(_line(hit.kind, meta.get("role"), hit.text)),
            session=str(meta.get("session", "")),
            turn=int(meta["turn"]) if is_turn and "turn" in meta else None,
            role=str(meta["role"]) if is_turn and "role" in meta else None,
            time=float(meta.get("time", 0.0)),
        )
        if used + item.tokens > token_budget:
            continue
        items.append(item)
        used += item.tokens
        if len(items) >= k:
            break
    return items


def _line(kind: str, role: object, text: str) -> str:
    if kind == "fact":
        return f"- fact: {text}"
    return f"- earlier, {role}: {text}"


def format_memory(items: list[RecalledItem]) -> str:
    """A prompt block marked as memory: facts first, then turns in the order said."""
    if not items:
        return ""
    facts = [i for i in items if i.kind == "fact"]
    turns = sorted((i for i in items if i.kind == "turn"), key=lambda i: i.turn or 0)
    lines = ["Relevant memory from earlier (may be out of date):"]
    lines += [_line(i.kind, i.role, i.text) for i in facts + turns]
    return "\n".join(lines)
