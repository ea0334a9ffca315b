"""A stand-in OpenAI-compatible model on 127.0.0.1 for tests that run real `lamp` processes
without loading llama.cpp (imported by tests, not collected).

It answers every chat request with ``STANDIN_ANSWER``; when the last user message
contains ``long:N``, with N bytes of ``x`` in 1 KiB chunks (to fill socket buffers); when
it asks about eggs, with a PAL program (``PAL_PROGRAM``, whose answer is 84).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["PAL_PROGRAM", "STANDIN_ANSWER", "standin_model"]

STANDIN_ANSWER = "stand-in says OK"
PAL_PROGRAM = "```python\ndef solution():\n    return 12 * 7\n```"


class _Handler(BaseHTTPRequestHandler):
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
        if self.path == "/v1/models":
            self._json({"object": "list", "data": [{"id": "standin", "object": "model"}]})
        else:
            self._json({"detail": "Not Found"}, 404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/v1/chat/completions":
            self._json({"detail": "Not Found"}, 404)
            return
        users = [m.get("content") or "" for m in body.get("messages", [])
                 if m.get("role") == "user"]
        last = users[-1] if users else ""
        wanted = re.search(r"long:(\d+)", last)
        pieces = (["x" * 1024] * (int(wanted.group(1)) // 1024) if wanted
                  else [PAL_PROGRAM] if "eggs" in last else [STANDIN_ANSWER])
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for piece in pieces:
            event = {"choices": [{"index": 0, "delta": {"content": piece},
                                  "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
        done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": len(pieces)}}
        self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()
        self.close_connection = True


@contextmanager
def standin_model() -> Iterator[str]:
    """Serve the stand-in on a free loopback port; yields its base URL (``.../v1``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
