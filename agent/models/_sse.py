"""Server-sent events, read line by line from a streaming HTTP response.

Only the ``data`` field matters for the OpenAI streaming API, so that is all we
return. Comment lines (``: ping``) are keep-alives: sse-starlette, which
llama-cpp-python's server uses, sends one every 15 s while a request is
stuck, so a socket read timeout alone would never fire on a wedged server.
We therefore also measure the time since the last real event and give up when
only pings have arrived for longer than the idle limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

__all__ = ["IdleTimeout", "MalformedStream", "iter_sse_data"]


class IdleTimeout(Exception):
    """Only keep-alive comments arrived for longer than the idle limit."""


class MalformedStream(Exception):
    """The bytes are not a server-sent event stream (bad UTF-8)."""


def iter_sse_data(
    readline: Callable[[], bytes],
    idle_limit: float,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[str]:
    """Yield the data of each event until EOF; ``readline`` returns ``b""`` at EOF."""
    data: list[str] = []
    last_event = clock()
    while True:
        raw = readline()
        if not raw:
            if data:  # a final event without its blank line: still an event
                yield "\n".join(data)
            return
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise MalformedStream(f"not UTF-8: {raw[:60]!r}") from exc
        if not line:
            if data:
                yield "\n".join(data)
                data = []
                last_event = clock()
            continue
        if line.startswith(":"):
            if clock() - last_event > idle_limit:
                raise IdleTimeout
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
        # "event", "id" and "retry" carry nothing the chat API uses.
