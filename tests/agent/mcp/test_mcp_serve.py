"""`lamp mcp serve`'s tools, in process through the SDK's client, with the services handed in
(the real sandbox behind `python` is tested in test_mcp_servers.py)."""

from __future__ import annotations

import anyio
from mcp import Client

from lamp.agent.errors import LampError
from lamp.agent.mcp import Services, build_server


def test_model_and_memory_load_on_first_use_and_errors_become_tool_errors() -> None:
    made: list[str] = []

    def solver() -> object:
        made.append("model")

        def solve(question: str) -> str:
            if "impossible" in question:
                raise LampError("no runnable program after 2 attempt(s) (exception)")
            return "42\n\nprogram:\ndef solution():\n    return 6 * 7"

        return solve

    def searcher() -> object:
        made.append("memory")
        return lambda query, k: [f"the locker code is 4411 ({query}, {k})"]

    services = Services(run_python=lambda code: f"ran {len(code)} characters",
                        solve_factory=solver, search_factory=searcher)

    async def session() -> dict[str, object]:
        async with Client(build_server(services)) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            seen: dict[str, object] = {"tools": tools, "made_at_start": list(made)}
            seen["python"] = (await client.call_tool("python", {"code": "print(1)"})).content
            seen["pal"] = (await client.call_tool("pal", {"question": "6 times 7?"})).content
            seen["failed"] = await client.call_tool("pal", {"question": "impossible"})
            seen["search"] = (await client.call_tool("search_memory",
                                                     {"query": "사물함 번호"})).content
            return seen

    seen = anyio.run(session)
    tools = seen["tools"]
    assert set(tools) == {"python", "pal", "search_memory"}
    assert all(t.annotations.read_only_hint for t in tools.values())
    assert seen["made_at_start"] == []  # listing loads neither the model nor the store
    assert seen["python"][0].text == "ran 8 characters"
    assert seen["pal"][0].text.startswith("42\n")
    assert seen["failed"].is_error and "no runnable program" in seen["failed"].content[0].text
    assert seen["search"][0].text == "[1] the locker code is 4411 (사물함 번호, 5)"
    assert made == ["model", "memory"]


def test_only_python_without_pal_and_memory() -> None:
    async def names() -> list[str]:
        async with Client(build_server(Services(run_python=str))) as client:
            return [t.name for t in (await client.list_tools()).tools]

    assert anyio.run(names) == ["python"]
