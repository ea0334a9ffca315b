"""One forwarded call's wire, server side: read the request, stream frames back.

The request becomes the ``Caller`` its command runs for (``caller_for``): frames
for its stdout and stderr, its piped stdin, its environment and working
directory, all handed down, never swapped into the server's process.

A connection must never hold up anybody else: the request is read against a
deadline (a peer that connects and sends nothing, or half a request, is
dropped after ``REQUEST_TIMEOUT``), and the answer goes out through an
outbox drained by its own thread, so a caller that stops reading (suspended,
piped into a pager) never keeps the model from the next caller.
"""

from __future__ import annotations

import base64
import io
import json
import queue
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from lamp.agent.app.output import Caller, Output

__all__ = ["MAX_REQUEST", "REQUEST_TIMEOUT", "FrameWriter", "Outbox", "caller_env", "caller_for",
           "frame", "read_request"]

REQUEST_TIMEOUT = 10.0  # seconds from accept to a whole request line (clients send at once)
MAX_REQUEST = 256 * 1024 * 1024  # bytes: a request carries the caller's piped stdin


def read_request(conn: socket.socket, timeout: float = REQUEST_TIMEOUT,
                 limit: int = MAX_REQUEST) -> dict[str, Any]:
    """The one JSON line a client sends; TimeoutError when it is not all there in
    ``timeout`` seconds, ValueError when it is too long or not a JSON object."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no whole request within {timeout:g} s")
        conn.settimeout(left)
        chunk = conn.recv(1 << 16)
        if not chunk:
            break  # the client sent its line without a newline and shut down its side
        end = chunk.find(b"\n")
        if end >= 0:
            chunks.append(chunk[:end])
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise ValueError(f"request over {limit} bytes")
    line = b"".join(chunks)
    request = json.loads(line) if line.strip() else {}
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    return request


class Outbox:
    """Frames for one client, sent by a thread of their own in the order given."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.gone = False  # the client went away: the answer may stop
        self.interrupted = False  # ... and the answer was told so, once
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._drain, name="lamp-serve-send", daemon=True)
        self._thread.start()

    def put(self, frame: bytes) -> None:
        if not self.gone:
            self._queue.put(frame)

    def finish(self) -> None:
        """Send what is queued, then return (the connection is closed by the caller)."""
        self._queue.put(None)
        self._thread.join()

    def _drain(self) -> None:
        self.conn.settimeout(None)  # a slow reader only ever slows this thread
        while (frame := self._queue.get()) is not None:
            if self.gone:
                continue
            try:
                self.conn.sendall(frame)
            except OSError:
                self.gone = True


def frame(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode() + b"\n"


class FrameWriter(io.TextIOBase):
    """A text stream that sends what is written as JSON frames to the client.

    Frames are held back until the request is known to run here (the warm
    backend was taken), so a fallback never shows the caller output twice.
    """

    def __init__(self, outbox: Outbox, key: str, tty: bool, pending: list[bytes]) -> None:
        self.outbox, self.key, self.tty, self.pending = outbox, key, tty, pending
        self.holding = True

    def isatty(self) -> bool:
        return self.tty

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text:
            return 0
        if self.outbox.gone:
            if not self.outbox.interrupted:  # the caller went away (Ctrl-C): stop the answer
                self.outbox.interrupted = True
                raise KeyboardInterrupt
            return len(text)
        data = frame({self.key: text})
        if self.holding:
            self.pending.append(data)
        else:
            self.outbox.put(data)
        return len(text)

    @staticmethod
    def release(writers: list[FrameWriter]) -> None:
        """The request runs here: send what was held back, and stream from now on."""
        for w in writers:
            w.holding = False
        pending = writers[0].pending
        for data in pending:
            writers[0].outbox.put(data)
        pending.clear()


def caller_env(base: Mapping[str, str], sent: Mapping[str, Any] | None) -> dict[str, str]:
    """The environment a forwarded call runs in: the server's own without its ``LAMP_*``
    settings, then what the client sent (its ``LAMP_*``, TERM, NO_COLOR). COLUMNS is not
    kept: the client's width travels as the Output's ``width``."""
    env = {k: v for k, v in base.items() if not k.startswith("LAMP_")}
    env.update({str(k): str(v) for k, v in dict(sent or {}).items()})
    env.pop("COLUMNS", None)
    return env


def caller_for(req: dict[str, Any], outbox: Outbox, server: Caller
               ) -> tuple[Caller, list[FrameWriter]]:
    """The client as the Caller its command runs for: its streams (frames on ``outbox``,
    held back until ``FrameWriter.release``), its environment over the ``server``'s and its
    working directory (the server's when it sent none). Nothing process-wide changes: the
    server's own streams, environment and cwd stay as they are while the call runs."""
    pending: list[bytes] = []
    stdout_tty, stderr_tty = bool(req.get("stdout_tty")), bool(req.get("stderr_tty"))
    out = FrameWriter(outbox, "out", stdout_tty, pending)
    err = FrameWriter(outbox, "err", stderr_tty, pending)
    data = base64.b64decode(req["stdin_b64"]) if req.get("stdin_b64") is not None else None
    stdin: IO[str] = io.TextIOWrapper(io.BytesIO(data or b""), encoding="utf-8",
                                      errors="replace")
    output = Output(stdout=out, stderr=err, stdin=stdin, stdout_terminal=stdout_tty,
                    stderr_terminal=stderr_tty, stdin_terminal=False,
                    width=_columns(req.get("columns")))
    cwd = Path(str(req["cwd"])) if req.get("cwd") else server.cwd
    return Caller(output, caller_env(server.env, req.get("env")), cwd), [out, err]


def _columns(value: Any) -> int:
    """The client's terminal width (80 when it sent none, or nonsense)."""
    try:
        columns = int(value)
    except (TypeError, ValueError):
        return 80
    return columns if columns > 0 else 80
