"""A stand-in OpenAI-compatible model server on 127.0.0.1, for tests that run real `lamp`
processes without loading llama.cpp (imported by tests, not collected).

One server for every such test, so each test says only what its model answers: a
``reply`` policy, either a fixed text or a function of the chat request bodies so far
(the newest last) giving a text or the pieces to stream. It serves ``/v1/models`` and
``/v1/chat/completions`` (SSE when the request streams, one JSON reply otherwise),
keeps every chat request body in ``bodies``, and stops itself as a context manager.
``gather=N`` holds each chat request until N have arrived (or ``hold_s`` pass), so N
processes are all mid-request at once. ``llama_cpp=True`` also answers ``/props`` and
``/tokenize``, so lamp takes it for llama.cpp's server (which takes grammars).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Reply", "StandinModel", "answer_to", "answers", "last_user", "obeying"]

Body = dict[str, Any]
Reply = str | Callable[[list[Body]], str | Sequence[str]]
_CALL = re.compile(r"<tool_call>\s*(\{.*?\})\s*</tool_call>", re.S)


def last_user(body: Body) -> str:
    """The newest user message of a chat request."""
    return next((m.get("content") or "" for m in reversed(body.get("messages", []))
                 if m.get("role") == "user"), "")


def answer_to(bodies: list[Body]) -> str:
    """``answer to: <the last user message>``: each answer names its question."""
    return f"answer to: {last_user(bodies[-1])}"


def answers(*texts: str) -> Callable[[list[Body]], str]:
    """The n-th chat request gets the n-th text; the last one repeats."""
    return lambda bodies: texts[min(len(bodies), len(texts)) - 1]


def obeying(first: str, last: str = "done") -> Callable[[list[Body]], str]:
    """``first``, then the tool call spelled out in the newest message if any, else ``last``
    (the model an injection hopes for)."""
    def reply(bodies: list[Body]) -> str:
        if len(bodies) == 1:
            return first
        found = _CALL.search(bodies[-1]["messages"][-1]["content"])
        return f"<tool_call>\n{found.group(1)}\n</tool_call>" if found else last
    return reply


class StandinModel:
    """The server; ``with StandinModel(reply) as model:`` serves at ``model.url``."""

    def __init__(self, reply: Reply = "stand-in says OK", *, gather: int = 1,
                 hold_s: float = 30.0, llama_cpp: bool = False) -> None:
        self.reply, self.gather, self.hold_s, self.llama_cpp = reply, gather, hold_s, llama_cpp
        self.bodies: list[Body] = []
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def env(self) -> dict[str, str]:
        """Settings that point `lamp` at this server."""
        return {"LAMP_BACKEND": "openai", "LAMP_BASE_URL": self.url}

    def answer(self, body: Body) -> list[str]:
        """Record a chat request, decide its answer, then wait (bounded) for ``gather``."""
        deadline = time.monotonic() + self.hold_s
        with self._cond:
            self.bodies.append(body)
            self._cond.notify_all()
            got = self.reply if isinstance(self.reply, str) else self.reply(list(self.bodies))
            while len(self.bodies) < self.gather and time.monotonic() < deadline:
                self._cond.wait(timeout=0.1)
        return [got] if isinstance(got, str) else list(got)

    def __enter__(self) -> StandinModel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def _handler(model: StandinModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._json({"object": "list", "data": [{"id": "standin", "object": "model"}]})
            elif self.path == "/props" and model.llama_cpp:
                self._json({"default_generation_settings": {"n_ctx": 8192}})
            else:
                self._json({"detail": "Not Found"}, 404)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))
                              or b"{}")
            if self.path == "/tokenize" and model.llama_cpp:
                self._json({"tokens": list(range(len(body.get("content", "")) // 4 + 1))})
                return
            if self.path != "/v1/chat/completions":
                self._json({"detail": "Not Found"}, 404)
                return
            pieces = model.answer(body)
            if not body.get("stream"):
                self._json({"choices": [{"index": 0, "finish_reason": "stop", "message": {
                    "role": "assistant", "content": "".join(pieces)}}]})
                return
            self._start("text/event-stream")
            for piece in pieces:
                self._event({"choices": [{"index": 0, "delta": {"content": piece},
                                          "finish_reason": None}]})
            self._event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 5, "completion_tokens": len(pieces)}})
            self._event("[DONE]")

        def _start(self, kind: str, status: int = 200, length: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True

        def _event(self, event: Any) -> None:
            data = event if isinstance(event, str) else json.dumps(event)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()

        def _json(self, obj: Any, status: int = 200) -> None:
            payload = json.dumps(obj).encode()
            self._start("application/json", status, len(payload))
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
