"""One forwarded call's wire, server side: read the request, stream frames back.

A connection must never hold up anybody else: the request is read against a
deadline (a peer that connects and sends nothing, or half a request, is
dropped after ``REQUEST_TIMEOUT``), and the answer goes out through an
outbox drained by its own thread, so a caller that stops reading (suspended,
piped into a pager) never keeps the model from the next caller.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["MAX_REQUEST", "REQUEST_TIMEOUT", "FrameWriter", "Outbox", "as_caller", "frame",
           "read_request"]

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


@contextlib.contextmanager
def as_caller(req: dict[str, Any], outbox: Outbox) -> Iterator[list[FrameWriter]]:
    """Run with the caller's stdin/stdout/stderr, environment and working directory.

    Process-wide state: the server holds its generation lock around this.
    """
    pending: list[bytes] = []
    out = FrameWriter(outbox, "out", bool(req.get("stdout_tty")), pending)
    err = FrameWriter(outbox, "err", bool(req.get("stderr_tty")), pending)
    data = base64.b64decode(req["stdin_b64"]) if req.get("stdin_b64") is not None else None
    stdin: IO[str] = io.TextIOWrapper(io.BytesIO(data or b""), encoding="utf-8",
                                      errors="replace")
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    os.environ.clear()
    os.environ.update({k: v for k, v in saved_env.items() if not k.startswith("LAMP_")})
    os.environ.update({str(k): str(v) for k, v in dict(req.get("env") or {}).items()})
    os.environ["COLUMNS"] = str(req.get("columns", 80))
    try:
        os.chdir(req.get("cwd") or saved_cwd)
        sys.stdin, sys.stdout, sys.stderr = stdin, out, err  # type: ignore[assignment]
        yield [out, err]
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
