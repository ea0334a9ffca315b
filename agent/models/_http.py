"""A minimal JSON-over-HTTP client on ``http.client``, with every failure made a lamp error.

Why not urllib or httpx: urllib hides the socket we need to put a read timeout
on between streamed bytes, and httpx would be a dependency (and ~100 ms of
imports) for a handful of requests. One connection per request keeps it simple;
on loopback a new TCP connection costs well under a millisecond.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from .errors import BackendUnavailable, MalformedReply, ServerError, UsageError

__all__ = ["Http", "malformed", "reading_errors"]

_ERROR_BODY_LIMIT = 64 * 1024


def malformed(url: str, what: str, sample: str) -> MalformedReply:
    return MalformedReply(
        f"model server at {url} sent a malformed reply to {what}: {_one_line(sample, 80)!r}")


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        return "no answer before the timeout"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return _one_line(str(exc)) or type(exc).__name__


@contextlib.contextmanager
def reading_errors(where: str, timeout: float) -> Iterator[None]:
    """Map failures while reading a reply that has started (``where``: who we talk to)."""
    try:
        yield
    except TimeoutError as exc:
        raise BackendUnavailable(
            f"{where} sent nothing for {timeout:g} s; giving up "
            "(raise request_timeout for slow models)") from exc
    except http.client.IncompleteRead as exc:
        raise BackendUnavailable(
            f"{where} closed the connection in the middle of the answer") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise BackendUnavailable(f"{where}: connection lost ({_reason(exc)})") from exc


def _error_detail(raw: bytes) -> str:
    """The server's own words: OpenAI/llama.cpp ``error.message``, FastAPI ``detail``, or text."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        found = next((data[k] for k in ("error", "detail", "message") if data.get(k)), None)
        if isinstance(found, dict):
            found = found.get("message") or found
        if found is not None:
            text = found if isinstance(found, str) else json.dumps(found)
    return _one_line(text) or "(empty body)"


class Http:
    """One server: scheme, host, port and the API path prefix (usually ``/v1``)."""

    def __init__(self, base_url: str, *, timeout: float, connect_timeout: float,
                 api_key: str | None) -> None:
        cleaned = base_url.strip().rstrip("/")
        parts = urlsplit(cleaned)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in {"http", "https"} or not parts.hostname or port == -1 \
                or parts.query or parts.fragment:
            raise UsageError(
                f"base URL must look like http://HOST:PORT/v1, got {base_url!r}")
        self.url = cleaned
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = port
        self._prefix = parts.path
        self._root = self._prefix[:-3] if self._prefix.endswith("/v1") else self._prefix
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._api_key = api_key

    def api_path(self, path: str) -> str:
        return self._prefix + path

    def root_path(self, path: str) -> str:
        """Non-OpenAI endpoints (/props, /tokenize) live beside /v1, not under it."""
        return self._root + path

    def _connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.connect_timeout)
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(self.timeout)  # from now on: the longest silence we accept
        return conn

    def send(self, method: str, path: str, body: Any = None, *, stream: bool = False
             ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send a request; return the open connection and a 2xx response, or raise."""
        headers = {"Accept": "text/event-stream" if stream else "application/json",
                   "User-Agent": "lamp"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        conn: http.client.HTTPConnection | None = None
        try:
            conn = self._connect()
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            if conn is not None:
                conn.close()
            raise BackendUnavailable(
                f"cannot reach model server at {self.url}: {_reason(exc)}") from exc
        if resp.status >= 400:
            try:
                raw = resp.read(_ERROR_BODY_LIMIT)
            except (OSError, http.client.HTTPException):
                raw = b""
            conn.close()
            raise ServerError(resp.status, f"model server at {self.url} answered HTTP "
                              f"{resp.status} to {method} {path}: {_error_detail(raw)}"
                              f"{self._hint(resp.status)}")
        return conn, resp

    def _hint(self, status: int) -> str:
        if status in (401, 403) and not self._api_key:
            return " (set LAMP_API_KEY or OPENAI_API_KEY)"
        if status == 404:
            return " (check --base-url; OpenAI-style servers usually serve under /v1)"
        return ""

    def get_json(self, method: str, path: str, body: Any = None) -> Any:
        conn, resp = self.send(method, path, body)
        try:
            with reading_errors(f"model server at {self.url}", self.timeout):
                raw = resp.read()
        finally:
            conn.close()
        try:
            return json.loads(raw)
        except ValueError:
            raise malformed(self.url, f"{method} {path}",
                            raw.decode("utf-8", "replace")) from None

    def try_json(self, method: str, path: str, body: Any = None) -> Any:
        """For optional endpoints: an HTTP error or a non-JSON body means "not here"."""
        try:
            return self.get_json(method, path, body)
        except (ServerError, MalformedReply):
            return None
