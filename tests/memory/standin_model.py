"""A stand-in OpenAI-compatible model server on 127.0.0.1 for real `lamp` subprocesses.

It answers every chat request with ``answer to: <the last user message>`` (streamed
as SSE), so a test can tell which answer belongs to which question. With
``gather=N`` it holds each chat request until N have arrived (or ``hold_s`` pass):
then N `lamp ask` processes have all opened their memory and read whatever they
read before any of them records its exchange, which is when a turn-numbering race
would strike. Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["StandinModel"]


@dataclass
class StandinModel:
    gather: int = 1
    hold_s: float = 30.0
    questions: list[str] = field(default_factory=list)
    port: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def env(self) -> dict[str, str]:
        """Settings that point `lamp` at this server."""
        return {"LAMP_BACKEND": "openai", "LAMP_BASE_URL": self.url}

    def __enter__(self) -> StandinModel:
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/v1/models":
                    self._json({"data": [{"id": "standin"}]})
                else:
                    self._json({"detail": "Not Found"}, 404)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions":
                    self._json({"detail": "Not Found"}, 404)
                    return
                question = next((m["content"] for m in reversed(body.get("messages", []))
                                 if m.get("role") == "user"), "")
                model.arrive(question)
                text = f"answer to: {question}"
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for event in ({"choices": [{"index": 0, "delta": {"content": text},
                                            "finish_reason": None}]},
                              {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                              "[DONE]"):
                    data = event if isinstance(event, str) else json.dumps(event)
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()

            def _json(self, obj: Any, status: int = 200) -> None:
                payload = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def arrive(self, question: str) -> None:
        """Count a chat request and wait (bounded) until ``gather`` have come."""
        deadline = time.monotonic() + self.hold_s
        with self._cond:
            self.questions.append(question)
            self._cond.notify_all()
            while len(self.questions) < self.gather and time.monotonic() < deadline:
                self._cond.wait(timeout=0.1)

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
