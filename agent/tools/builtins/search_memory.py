"""``search_memory``: look up earlier conversations and remembered facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from ..base import Tool, ToolContext, ToolError

__all__ = ["SearchMemoryTool", "store_searcher"]


class SearchMemoryTool(Tool):
    name = "search_memory"
    description = ("Search lamp's memory (earlier conversations, remembered facts, ingested "
                   "documents) and return the most relevant passages.")
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for."},
            "k": {"type": "integer", "description": "How many passages to return (1-20).",
                  "default": 5},
        },
        "required": ["query"],
        "additionalProperties": False,
    }

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        if ctx.search_memory is None:
            raise ToolError("memory is not available (--no-memory?)")
        query = args["query"].strip()
        if not query:
            raise ToolError("query is empty")
        k = min(max(args.get("k", 5), 1), 20)
        hits = ctx.search_memory(query, k)
        if not hits:
            return f"nothing in memory matches {query!r}"
        return "\n".join(f"[{i}] {text.strip()}" for i, text in enumerate(hits, 1))


def store_searcher(store: Any, session: str | None = None) -> Callable[[str, int], list[str]]:
    """A ``ToolContext.search_memory`` backed by a ``lamp.memory.MemoryStore``
    (searching all sessions unless ``session`` is given)."""

    def search(query: str, k: int) -> list[str]:
        return [hit.text for hit in store.search(query, k=k, session=session)]

    return search
