"""A stand-in OpenAI-compatible model on 127.0.0.1 that proposes one fixed shell command,
for tests that run a real `lamp cmd` process (imported by tests, not collected).

It stands for a model that repeats whatever an attacker planted: every chat request
gets ``answer`` back, streamed, whatever was asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["proposing_model"]


def _handler(answer: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, payload: Any, status: int = 200) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            self._json({"object": "list", "data": [{"id": "standin", "object": "model"}]})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v1/chat/completions":
                self._json({"detail": "Not Found"}, 404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = {"choices": [{"index": 0, "delta": {"content": answer},
                                  "finish_reason": None}]}
            done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 5}}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(done)}\n\n"
                             "data: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

    return Handler


@contextmanager
def proposing_model(answer: str) -> Iterator[dict[str, str]]:
    """Serve the stand-in on a free loopback port; yields the LAMP_ settings that point
    `lamp` at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(answer))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"LAMP_BACKEND": "openai",
               "LAMP_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1"}
    finally:
        server.shutdown()
        server.server_close()
