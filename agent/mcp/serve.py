"""lamp as an MCP server: its sandboxed Python, PAL and memory search for other assistants.

Other agents run model-written code with the user's full rights; through
``lamp mcp serve`` they get lamp's sandbox instead (a confined child process per
call, see docs/sandbox.md). What the tools need is handed in as ``Services``:
the sandbox runner at once, the model for ``pal`` and the memory store for
``search_memory`` only when first called (loading a model costs seconds, and a
client that only runs code should never pay for it).

The tools' descriptions and annotations are promises to another program, which
may run them unasked because of them. So they are made from what this machine
gives: with an isolating layer (Landlock + seccomp, or bubblewrap) the
``python`` and ``pal`` tools are read-only and closed-world; where lamp was told
to serve anyway without one (``--sandbox best``), ``unconfined`` says what is
not enforced, and the tools say so and claim nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import LampError

__all__ = ["Services", "build_server"]


@dataclass
class Services:
    """What the served tools call. ``solve`` and ``search`` are made on first use by their
    factories (None: that tool is not offered)."""

    run_python: Callable[[str], str]
    solve_factory: Callable[[], Callable[[str], str]] | None = None
    search_factory: Callable[[], Callable[[str, int], list[str]]] | None = None
    _made: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _get(self, key: str, factory: Callable[[], Any]) -> Any:
        with self._lock:  # two first calls at once load the model once
            if key not in self._made:
                self._made[key] = factory()
            return self._made[key]

    def solve(self, question: str) -> str:
        assert self.solve_factory is not None
        return self._get("solve", self.solve_factory)(question)

    def search(self, query: str, k: int) -> list[str]:
        assert self.search_factory is not None
        return self._get("search", self.search_factory)(query, k)


def build_server(services: Services, *, name: str = "lamp",
                 unconfined: str | None = None) -> Any:
    """An ``MCPServer`` offering ``python`` (and ``pal``, ``search_memory`` when given).

    ``unconfined``: None when an isolating sandbox layer holds every run; otherwise what
    is not enforced on this machine, said in every code tool's description and in the
    server's instructions, whose annotations then promise nothing (not read-only,
    open-world, possibly destructive)."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    if unconfined is None:
        where = ("lamp's sandbox (a separate process: no network, no files outside a fresh "
                 "temp dir, CPU and memory limits)")
        contained = ToolAnnotations(read_only_hint=True, open_world_hint=False)
        caveat = ""
    else:
        where = "a separate process with CPU and memory limits only"
        contained = ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                    open_world_hint=True)
        caveat = f" WARNING: {unconfined}."
    server = MCPServer(name, instructions=(
        f"lamp's tools. `python` runs a Python 3 program in {where} and returns what it "
        f"printed.{caveat}"), log_level="WARNING")

    @contextmanager
    def reported() -> Iterator[None]:
        """A lamp error becomes the tool's error for the client, not a failed server."""
        try:
            yield
        except LampError as exc:
            raise ToolError(str(exc)) from exc

    def python(code: str) -> str:
        with reported():
            return services.run_python(code)

    python.__doc__ = (
        "Run a Python 3 program in lamp's sandbox (no network, no files outside a temp dir, "
        "standard library only) and return what it printed. print() what you need."
        if unconfined is None else
        "Run a Python 3 program (standard library only) with CPU and memory limits and return "
        f"what it printed. print() what you need.{caveat}")
    server.add_tool(python, annotations=contained, structured_output=False)

    if services.solve_factory is not None:
        def pal(question: str) -> str:
            with reported():
                return services.solve(question)

        pal.__doc__ = (
            "Solve a word problem (arithmetic, dates, counting) by having lamp's local model "
            "write a Python program that the sandbox runs; returns the computed value and the "
            f"program.{caveat}")

        server.add_tool(pal, annotations=contained, structured_output=False)

    if services.search_factory is not None:
        def search_memory(query: str, k: int = 5) -> str:
            """Search lamp's memory (earlier conversations, remembered facts, ingested
            documents); returns the most relevant passages, numbered."""
            if not query.strip():
                raise ToolError("query is empty")
            with reported():
                hits = services.search(query.strip(), min(max(k, 1), 20))
            if not hits:
                return f"nothing in memory matches {query!r}"
            return "\n".join(f"[{i}] {text.strip()}" for i, text in enumerate(hits, 1))

        server.add_tool(search_memory, annotations=ToolAnnotations(read_only_hint=True),
                        structured_output=False)
    return server
