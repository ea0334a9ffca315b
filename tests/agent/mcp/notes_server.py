"""A small MCP server for lamp's tests, built with the SDK (run as a program, never imported).

Its tools exercise what lamp must handle: structured results, plain text, errors,
a read and a socket that a confined server must be refused, a hang, a crash, and
a computation that needs numbers only the person can give.
`python notes_server.py [TOKEN]` serves stdio; `--http PORT` serves streamable HTTP
on 127.0.0.1 and stops by itself after a while.
"""

import os
import socket
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

app = MCPServer("notes", log_level="ERROR")
READ_ONLY = ToolAnnotations(read_only_hint=True)

# Invented facts, so an answer that contains one can only have come from this server.
SHELVES = {"quartz lantern": "shelf 7-K", "brass otter": "shelf 12-B", "놋쇠 수달": "선반 12-B"}


class Counts(BaseModel):
    words: int
    characters: int


@app.tool(annotations=READ_ONLY)
def word_count(text: str) -> Counts:
    """Count the words and characters of a text."""
    return Counts(words=len(text.split()), characters=len(text))


@app.tool(annotations=READ_ONLY)
def shelf(item: str) -> str:
    """Where an item is kept in the storeroom: returns its shelf code."""
    found = SHELVES.get(item.strip().lower())
    if found is None:
        raise ToolError(f"no item named {item!r} (known: {', '.join(SHELVES)})")
    return found


@app.tool(annotations=READ_ONLY)
def loan_payment(principal: float, annual_rate_percent: float, years: int) -> str:
    """Monthly payment of a fixed-rate loan, from the amount borrowed, the yearly interest
    rate in percent and the term in years."""
    rate, months = annual_rate_percent / 1200, years * 12
    payment = principal / months if rate == 0 else principal * rate / (1 - (1 + rate) ** -months)
    return f"monthly payment: {payment:.2f}"


@app.tool(annotations=READ_ONLY)
def read_text(path: str, limit: int | None = None) -> str:
    """Read a text file."""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(limit if limit is not None else -1)
    except OSError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc


@app.tool()
def write_text(path: str, text: str) -> str:
    """Write a text file (changes things, so lamp asks first)."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc
    return f"wrote {len(text)} characters"


@app.tool(annotations=READ_ONLY)
def connect(port: int) -> str:
    """Open a TCP connection to 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return "connected"
    except OSError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc


@app.tool(annotations=READ_ONLY)
def nap(seconds: float) -> str:
    """Sleep, then say so."""
    time.sleep(seconds)
    return f"slept {seconds} s"


@app.tool(annotations=READ_ONLY)
def crash() -> str:
    """Exit the server process in the middle of the call."""
    sys.stdout.flush()
    os._exit(3)


if __name__ == "__main__":
    if "--http" in sys.argv:
        import threading

        port = int(sys.argv[sys.argv.index("--http") + 1])
        threading.Timer(120, lambda: os._exit(0)).start()  # never outlives a test run
        app.run("streamable-http", host="127.0.0.1", port=port)
    else:
        app.run()
